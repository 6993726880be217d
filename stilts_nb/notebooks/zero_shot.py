"""Notebook 05: score intermediate checkpoints on other multiple-choice tasks without training."""
from __future__ import annotations

import pandas as pd

from ..tasks import get_task
from . import paper
from .studies import intermediate_runs, sweep_runs


def checkpoints(spec: dict, store: str, executor: str = "local") -> pd.DataFrame:
    """Intermediate checkpoints of a sweep (trained first if the store lacks them)."""
    sweep_runs(spec, store, executor, name="05_zero_shot")
    runs = intermediate_runs(spec, store)
    return runs[["task", "run_id", "status", "score", "checkpoint"]].rename(columns={"task": "intermediate"})


def _evaluate(spec: dict, model: str, task: str, seeds, eval_limit) -> dict:
    from ..training import EvalConfig, zero_shot

    files = spec.get("task_settings", {}).get(get_task(task).base, {}).get("files")
    config = EvalConfig(task=task, model=model, seeds=tuple(seeds), eval_limit=eval_limit,
                        precision=spec.get("precision", "fp32"), data_dir=spec.get("data_dir"),
                        files=files, progress=False)
    return zero_shot(config)


def _multiple_choice(name: str) -> bool:
    return name == "none" or get_task(name).kind == "multiple_choice"


def zero_shot_table(spec: dict, ckpts: pd.DataFrame, tasks: list, none_seeds: list, eval_limit=None) -> pd.DataFrame:
    """Table 4: one row per intermediate (None over several head seeds), one column per task.

    Only multiple-choice intermediates have a head that transfers; a classification one (CoLA)
    would be scored with a random head, like None, so it is left out.
    """
    paths = dict(zip(ckpts["intermediate"], ckpts["checkpoint"]))
    ids = dict(zip(ckpts["intermediate"], ckpts["run_id"]))
    rows = []
    for inter in [i for i in spec["intermediates"] if _multiple_choice(i)]:
        model = spec["model"] if inter == "none" else paths.get(inter)
        row = {"intermediate": inter, "run_id": ids.get(inter, "—  (pretrained model)")}
        for i, task in enumerate(tasks):
            if model is None:
                row[f"{task} ours"] = "checkpoint missing"
                continue
            result = _evaluate(spec, model, task, none_seeds if inter == "none" else [42], eval_limit)
            spread = f" ± {100 * result['score_std']:.1f}" if len(result["scores"]) > 1 else ""
            row[f"{task} ours"] = f"{100 * result['score']:.1f}{spread}"
            quoted = paper.TABLE4.get(inter)
            row[f"{task} paper (quoted)"] = quoted[i] if quoted and i < len(quoted) else "—"
        rows.append(row)
    return pd.DataFrame(rows)


def premise_drop(spec: dict, ckpts: pd.DataFrame, pair: list, eval_limit=None,
                 cross: tuple = ("hellaswag", "synthesis")) -> pd.DataFrame:
    """The model trained on pair[0], scored on pair[0] dev and on pair[1] dev (premises removed);
    and the HellaSwag model on the Synthesis dev set (`cross`), where both exist."""
    paths = dict(zip(ckpts["intermediate"], ckpts["checkpoint"]))
    rows = []
    trained, stripped = pair
    for task in (trained, stripped):
        row = {"model trained on": trained, "scored on (dev)": task}
        if paths.get(trained):
            row["ours"] = round(100 * _evaluate(spec, paths[trained], task, [42], eval_limit)["score"], 1)
        else:
            row["ours"] = "not available offline"
        quoted = paper.HELLASWAG_PREMISE_DROP if trained == "hellaswag" else None
        row["paper (quoted)"] = quoted[0 if task == trained else 1] if quoted else "—  (counterpart; not in the paper)"
        rows.append(row)
    source, target = cross
    row = {"model trained on": source, "scored on (dev)": target, "paper (quoted)": paper.HELLASWAG_ON_SYNTHESIS}
    if paths.get(source) and target in spec["intermediates"]:
        row["ours"] = round(100 * _evaluate(spec, paths[source], target, [42], eval_limit)["score"], 1)
    else:
        row["ours"] = "not available offline"
    rows.append(row)
    return pd.DataFrame(rows)
