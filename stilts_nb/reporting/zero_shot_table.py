"""Notebook 05: score intermediate checkpoints on other multiple-choice tasks without training.

Every zero-shot score is a run in the sweep store (role ``zero_shot``), keyed by what decides
it: the checkpoint's run id (or the pretrained model), the task's dev data, the head seeds, the
example limit and the engine version. Re-running the notebook reads the rows back. ``study`` is
the name of the notebook that asks (``section.notebook``): the store notes it beside each score
and each run of the sweep it reads, and the index counts those as that notebook's runs.
"""
from __future__ import annotations

from types import SimpleNamespace

import pandas as pd

from ..tasks import get_task
from ..wording import POINT_DECIMALS, plural, points
from . import paper
from .findings import IN_DOMAIN, in_domain
from .planning import intermediate_runs, sweep_runs

ROLE = "zero_shot"
QUOTED_COLUMN = {"socialiqa": 0, "winogrande": 1}  # the order of paper.TABLE4's pairs


def checkpoints(spec: dict, store: str, executor: str = "local", *, study: str) -> pd.DataFrame:
    """Intermediate checkpoints of a sweep, one row per seed (trained first if the store lacks them)."""
    _, plan = sweep_runs(spec, store, executor, name=study)
    runs = intermediate_runs(plan, store)
    return (runs[["task", "seed", "run_id", "status", "score", "checkpoint"]]
            .rename(columns={"task": "intermediate"}).sort_values(["intermediate", "seed"], kind="stable"))


def shown(ckpts: pd.DataFrame) -> pd.DataFrame:
    """The checkpoint table as a report shows it: the intermediate, its seed, its status and its
    own dev score ×100; neither this machine's folders nor run-id hashes (the store has both)."""
    return (ckpts.drop(columns=["checkpoint", "run_id"])
            .assign(score=lambda d: (100 * d["score"]).round(POINT_DECIMALS))
            .rename(columns={"score": "its own dev score"}).set_index(["intermediate", "seed"]))


def stored_zero_shot(spec: dict, store: str, model: str, init_id: str | None, task: str, seeds,
                     eval_limit, *, study: str) -> dict:
    """The zero-shot result for one (model, task): read from the store, else computed and stored."""
    from ..sweeps.identity import Fingerprints, engine_version, model_source, run_id
    from ..sweeps.schema import SETTING_COLUMNS
    from ..sweeps.store import Store, this_owner
    from ..tasks.content import content_id

    files = spec.get("task_settings", {}).get(get_task(task).base, {}).get("files")
    dev, _ = Fingerprints().get(task, "dev", spec.get("data_dir"), files)
    ident = {"role": ROLE, "task": get_task(task).name, "task_content": content_id(get_task(task)),
             "init": init_id, "seeds": list(seeds),
             "model": model_source(spec["model"]), "eval_limit": eval_limit,
             "precision": spec.get("precision", "fp32"), "data": {"dev": dev}, "engine": engine_version()}
    rid = run_id(ident)
    with Store(store) as st:
        stored = st.record(rid)
        if stored and stored.status == "done" and stored.result:
            if stored.predictions:
                return {**stored.result, "scoring_id": rid}
            # scored before per-example predictions were kept: scoring is cheap and the paired
            # verdicts need them, so score it again (the same identity, the same numbers)
            st.forget(rid)
        # the store's setting columns (settings.py), empty but for what a zero-shot score has
        config = {**dict.fromkeys(SETTING_COLUMNS), "task": ident["task"], "model": spec["model"],
                  "seed": list(seeds)[0], "eval_limit": eval_limit, "precision": ident["precision"]}
        # a score, not a training Run: register() reads only these attributes
        row = SimpleNamespace(id=rid, role=ROLE, config=config, identity=ident, intermediate=None,
                              init_id=init_id, studies=[study])
        st.register([row], ROLE)
        owner = this_owner()
        st.claim(rid, owner)
        result = _evaluate(spec, model, task, seeds, eval_limit)
        st.finish(rid, owner, {"status": "done", "metrics": result})
    return {**result, "scoring_id": rid}


def _evaluate(spec: dict, model: str, task: str, seeds, eval_limit) -> dict:
    from ..training import EvalConfig, zero_shot

    files = spec.get("task_settings", {}).get(get_task(task).base, {}).get("files")
    config = EvalConfig(task=task, model=model, seeds=tuple(seeds), eval_limit=eval_limit,
                        precision=spec.get("precision", "fp32"), data_dir=spec.get("data_dir"),
                        files=files, progress=False)
    result = zero_shot(config)
    result.pop("config", None)  # holds this machine's data folder; the identity has the data's fingerprint
    return result


def _multiple_choice(name: str) -> bool:
    return name == "none" or get_task(name).kind == "multiple_choice"


def scores(spec: dict, ckpts: pd.DataFrame, store: str, tasks: list, none_seeds: list,
           eval_limit=None, *, study: str) -> pd.DataFrame:
    """One row per (intermediate, checkpoint, task): its score (0-1; None's: the mean over its
    random-head seeds, with their spread), examples, and ``scoring_id``, the stored scoring whose
    per-example predictions the paired noise reads.

    Only multiple-choice intermediates have a head that transfers; a classification one (CoLA)
    would be scored with a random head, like None, so it is left out.
    """
    rows = []
    for inter in [i for i in spec["intermediates"] if _multiple_choice(i)]:
        found = ([(None, spec["model"], None)] if inter == "none" else
                 [(r.seed, r.checkpoint, r.run_id) for r in ckpts[ckpts["intermediate"] == inter].itertuples()
                  if isinstance(r.checkpoint, str)])
        for seed, model, run_id in found:
            for task in tasks:
                result = stored_zero_shot(spec, store, model, run_id, task,
                                          none_seeds if inter == "none" else [42], eval_limit, study=study)
                rows.append({"intermediate": inter, "seed": seed, "task": task,
                             "run_id": run_id or "—  (pretrained model)", "scoring_id": result["scoring_id"],
                             "score": result["score"], "score_std": result["score_std"],
                             "seeds": len(result["scores"]), "examples": result["eval_examples"]})
    return pd.DataFrame(rows, columns=["intermediate", "seed", "task", "run_id", "scoring_id", "score", "score_std",
                                       "seeds", "examples"])


def versus_none(scores: pd.DataFrame, store, resamples: int = 2000) -> pd.DataFrame:
    """Each intermediate against None on each task, paired example by example from the scorings'
    stored predictions: the 95% interval of Δ accuracy (points) from a bootstrap over the dev
    examples and the replicate models of each side together (the intermediate's checkpoints, None's
    random heads: analysis.paired.models_bootstrap); `inside_noise` when it contains 0;
    `in_domain` when the checkpoint was trained on the scored task (the rule's positive control)."""
    from ..analysis.paired import models_bootstrap
    from ..sweeps.predictions import aligned

    rows = []
    for task, group in scores.groupby("task", sort=False):
        base = group[group["intermediate"] == "none"]
        if base.empty:
            continue
        gold, theirs, _ = aligned(store, list(base["scoring_id"]))
        for inter, mine in group[group["intermediate"] != "none"].groupby("intermediate", sort=False):
            _, ours, _ = aligned(store, list(mine["scoring_id"]))
            iv = models_bootstrap(gold, ours, theirs, resamples=resamples)
            rows.append({"task": task, "intermediate": inter, "checkpoints": len(mine), "heads": theirs.shape[0],
                         "examples": len(gold), "score": 100 * mine["score"].mean(),
                         "none_score": 100 * base["score"].iloc[0], "delta": iv.delta, "low": iv.low, "high": iv.high,
                         "inside_noise": iv.low <= 0 <= iv.high, "in_domain": in_domain(inter, task)})
    return pd.DataFrame(rows, columns=["task", "intermediate", "checkpoints", "heads", "examples", "score", "none_score",
                                       "delta", "low", "high", "inside_noise", "in_domain"])


def table4(scores: pd.DataFrame, tasks: list) -> pd.DataFrame:
    """Table 4: one row per intermediate, ours ×100 beside the paper: an intermediate's mean over
    its checkpoints ± their SD; None's mean over its random heads ± their SD (population SDs).
    The ± is the spread of the replicate models, not a dev-set error: the column says so."""
    rows = []
    heads = int(scores.loc[scores["intermediate"] == "none", "seeds"].max()) if (scores["intermediate"] == "none").any() else 0
    ckpts = int(scores[scores["intermediate"] != "none"].groupby(["intermediate", "task"]).size().max()) \
        if (scores["intermediate"] != "none").any() else 0
    ours = f"ours (mean ± SD over {ckpts} {plural(ckpts, 'checkpoint')}; None: over {heads} random heads)"
    for inter, group in scores.groupby("intermediate", sort=False):
        row = {"intermediate": inter}
        quoted = paper.TABLE4.get(inter)
        for task in tasks:
            hit = group[group["task"] == task]
            if hit.empty:
                row[f"{task} {ours}"] = "checkpoint missing"
            else:
                mean = hit["score"].mean()
                spread = hit["score_std"].iloc[0] if inter == "none" else hit["score"].std(ddof=0)
                shown = f"{100 * mean:.1f}" + (f" ± {100 * spread:.1f}" if (hit["seeds"].iloc[0] > 1 or len(hit) > 1) else "")
                row[f"{task} {ours}"] = shown + (IN_DOMAIN if in_domain(inter, task) else "")
            column = QUOTED_COLUMN.get(get_task(task).base.split("_")[0])  # winogrande_xs: the paper's WinoGrande
            row[f"{task} paper (quoted)"] = quoted[column] if quoted and column is not None else "—"
        rows.append(row)
    return pd.DataFrame(rows)


def premise_drop(spec: dict, ckpts: pd.DataFrame, store: str, pair: list, eval_limit=None,
                 cross: tuple = ("hellaswag", "synthesis"), *, study: str) -> pd.DataFrame:
    """The model trained on pair[0], scored on pair[0] dev and on pair[1] dev (premises removed);
    and the HellaSwag model on the Synthesis dev set (`cross`), where both exist. With several
    checkpoints of a task, its score is their mean (the scorings are shared with Table 4's)."""
    found = ckpts[ckpts["checkpoint"].map(lambda c: isinstance(c, str))]
    paths = found.groupby("intermediate")["checkpoint"].agg(list).to_dict()
    ids = found.groupby("intermediate")["run_id"].agg(list).to_dict()

    def score(source, task):
        return points(100 * sum(stored_zero_shot(spec, store, path, rid, task, [42], eval_limit, study=study)["score"]
                                for path, rid in zip(paths[source], ids[source])) / len(paths[source]))

    rows = []
    trained, stripped = pair
    for task in (trained, stripped):
        row = {"model trained on": trained, "scored on (dev)": task,
               "ours": score(trained, task) if paths.get(trained) else "not available offline"}
        quoted = paper.HELLASWAG_PREMISE_DROP if trained == "hellaswag" else None
        row["paper (quoted)"] = quoted[0 if task == trained else 1] if quoted else "—  (counterpart; not in the paper)"
        rows.append(row)
    source, target = cross
    rows.append({"model trained on": source, "scored on (dev)": target,
                 "ours": score(source, target) if paths.get(source) and target in spec["intermediates"]
                 else "not available offline", "paper (quoted)": paper.HELLASWAG_ON_SYNTHESIS})
    return pd.DataFrame(rows)
