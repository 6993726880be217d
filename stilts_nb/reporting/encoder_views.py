"""Notebook 07's calls: the checkpoints other notebooks trained, their frozen features on each
target, and the tables the findings are computed from.

Nothing here trains: the checkpoints and target runs come from the store (`Section.train()` reads
them back when the notebooks that own them ran first). An intermediate task may have several
checkpoints (one per intermediate seed): every table has one row per checkpoint run id, and a
checkpoint's Δ over None is the mean over the target runs that started from it (their
``init_id``) minus None's mean over the same configurations (lr, batch, warmup, seed).
"""
from __future__ import annotations

from dataclasses import dataclass, field

import pandas as pd

from ..analysis import compare
from ..analysis import representations as rep
from .findings import as_intermediate
from .planning import intermediate_runs, notebook_spec, sweep_runs

PAIRING = ["target", "lr", "batch_size", "warmup_ratio", "seed"]  # what makes two target runs a pair
PRETRAINED = "pretrained"  # the row of the encoder every checkpoint started from (None's start)
POOLINGS = ("mean", "first")  # mean over a sequence's tokens; its first token (CLS / <s>)


@dataclass
class Study:
    """What 07 analyses: the target runs (of 01, and of the notebooks named in ``also``) and one
    row per intermediate checkpoint, labelled for the reader."""
    spec: dict
    runs: pd.DataFrame
    checkpoints: pd.DataFrame  # intermediate, run_id, seed, checkpoint, precision, label
    measures: dict = field(default_factory=dict)


def study(section) -> Study:
    """The section's runs (section.train() first) and those of the notebooks in ``also``, with
    every checkpoint the target runs started from."""
    runs, inters = [section.runs], [intermediate_runs(section.plan, section.store)]
    for other in section.values.get("also", []):
        spec = notebook_spec(section.profile, other)
        more, plan = sweep_runs(spec, section.store, section.executor, name=other)
        runs.append(more)
        inters.append(intermediate_runs(plan, section.store))
    runs = pd.concat(runs, ignore_index=True).drop_duplicates("run_id")
    ckpts = pd.concat(inters, ignore_index=True).drop_duplicates("run_id")
    ckpts = ckpts[ckpts["status"].eq("done") & ckpts["checkpoint"].notna()]
    # an intermediate run's own task is its "task"; its "intermediate" column is empty
    ckpts = ckpts.drop(columns="intermediate").rename(columns={"task": "intermediate"})
    ckpts = ckpts[["intermediate", "run_id", "seed", "checkpoint", "precision"]]
    several = ckpts["intermediate"].duplicated(keep=False)
    ckpts["label"] = [as_intermediate(r.intermediate) + (f", seed {r.seed}" if many else "")
                      for r, many in zip(ckpts.itertuples(), several)]
    return Study(section.sweep, runs, ckpts.reset_index(drop=True))


def checkpoint_table(st: Study) -> pd.DataFrame:
    """The checkpoints as the report lists them: the task, its seed, the target runs from it."""
    starts = st.runs.groupby("init_id").size() if "init_id" in st.runs else pd.Series(dtype=int)
    return pd.DataFrame({"checkpoint": st.checkpoints["label"], "intermediate seed": st.checkpoints["seed"],
                         "precision": st.checkpoints["precision"],
                         "target runs started from it": [int(starts.get(i, 0)) for i in st.checkpoints["run_id"]]})


def deltas(st: Study) -> pd.DataFrame:
    """Per checkpoint and target: its mean score minus None's over the same configurations, ×100."""
    none = st.runs[st.runs["intermediate"] == "none"].set_index(PAIRING)["score"]
    rows = []
    for ck in st.checkpoints.itertuples():
        mine = st.runs[st.runs["init_id"] == ck.run_id].set_index(PAIRING)["score"]
        both = mine.index.intersection(none.index)
        for target in sorted({k[0] for k in both}):
            keys = [k for k in both if k[0] == target]
            rows.append({"target": target, "run_id": ck.run_id, "pairs": len(keys),
                         "delta": 100 * (mine.loc[keys].mean() - none.loc[keys].mean())})
    return pd.DataFrame(rows, columns=["target", "run_id", "pairs", "delta"])


def measure(st: Study, values: dict, log=print) -> Study:
    """Extract each model's features on each target (`features.extract_all`) and keep what 07
    reports: CKA to the pretrained encoder and between checkpoints per layer, LogME and the probe
    per checkpoint. Features of one target are dropped before the next (memory bound)."""
    from . import encoder_features

    to_pre, between, ready = [], [], []
    models = [(PRETRAINED, "pretrained encoder", None)] + [
        (c.run_id, c.label, c.checkpoint) for c in st.checkpoints.itertuples()]
    labels = dict((m[0], m[1]) for m in models)
    for target in st.spec["targets"]:
        feats, y, groups = encoder_features.extract_all(st, target, models, values, log)
        for pooling in POOLINGS:
            for ident, layers in feats.items():
                base = {"target": target, "pooling": pooling, "run_id": ident, "checkpoint": labels[ident]}
                top = layers[pooling][-1]
                ready.append({**base, "examples": len(set(groups)), "logme": rep.logme(top, y),
                              "probe": 100 * rep.probe_accuracy(top, y, folds=values["probe_folds"], groups=groups)})
                if ident == PRETRAINED:
                    continue
                for layer, (a, b) in enumerate(zip(feats[PRETRAINED][pooling], layers[pooling])):
                    to_pre.append({**base, "layer": layer, "cka": rep.linear_cka(a, b)})
            ids = [m[0] for m in models[1:]]
            for i, first in enumerate(ids):
                for second in ids[i + 1:]:
                    for layer, (a, b) in enumerate(zip(feats[first][pooling], feats[second][pooling])):
                        between.append({"target": target, "pooling": pooling, "a": first, "b": second,
                                        "layer": layer, "cka": rep.linear_cka(a, b)})
        del feats
    d = deltas(st)
    ready = pd.DataFrame(ready).merge(d, on=["target", "run_id"], how="left")
    ready.loc[ready["run_id"] == PRETRAINED, "delta"] = 0.0  # None's own start: Δ 0 by definition
    st.measures = {"to_pretrained": pd.DataFrame(to_pre), "between": pd.DataFrame(between), "readiness": ready}
    return st


def bridge(st: Study) -> pd.DataFrame:
    """Per checkpoint, target and configuration: its run's first-epoch loss beside None's, and the
    steps it took to reach None's final loss (rep.final_loss) against None's own total steps.
    ``intermediate`` is the checkpoint's task (the unit bridge_summary tests over)."""
    none = st.runs[st.runs["intermediate"] == "none"].set_index(PAIRING)
    rows = []
    for ck in st.checkpoints.itertuples():
        for run in st.runs[st.runs["init_id"] == ck.run_id].itertuples():
            key = tuple(getattr(run, c) for c in PAIRING)
            if key not in none.index or not run.loss_curve:
                continue
            base = none.loc[key]
            base = base.iloc[0] if isinstance(base, pd.DataFrame) else base
            if not base["loss_curve"]:
                continue
            goal = rep.final_loss(base["loss_curve"])
            rows.append({"target": run.target, "intermediate": ck.intermediate, "checkpoint": ck.label,
                         "run_id": ck.run_id, "seed": run.seed, "lr": run.lr,
                         "first_epoch_loss": rep.first_epoch_loss(run.loss_curve),
                         "none_first_epoch_loss": rep.first_epoch_loss(base["loss_curve"]),
                         "steps_to_none_final": rep.steps_to_reach(run.loss_curve, goal),
                         "none_steps": max(p["step"] for p in base["loss_curve"])})
    return pd.DataFrame(rows, columns=["target", "intermediate", "checkpoint", "run_id", "seed", "lr",
                                       "first_epoch_loss", "none_first_epoch_loss", "steps_to_none_final",
                                       "none_steps"])


def bridge_summary(table: pd.DataFrame) -> pd.DataFrame:
    """One row per target and intermediate task. The unit is the checkpoint: each checkpoint's
    difference is the mean over its paired runs of its first-epoch loss minus None's; the paired
    t-test (compare.t_test) is over those per-checkpoint differences, Holm-corrected
    (compare.holm) over this table's rows (no test below 2 checkpoints: p empty). Also the mean
    first-epoch losses over the paired runs, the runs that reached None's final loss and the
    median share of None's steps they needed."""
    rows = []
    for (target, task), g in table.groupby(["target", "intermediate"], sort=False):
        per_ckpt = (g["first_epoch_loss"] - g["none_first_epoch_loss"]).groupby(g["run_id"], sort=False).mean()
        reached = g["steps_to_none_final"].notna()
        share = (g["steps_to_none_final"] / g["none_steps"])[reached]
        rows.append({"target": target, "intermediate": as_intermediate(task), "checkpoints": len(per_ckpt),
                     "paired runs": len(g),
                     "first-epoch loss": g["first_epoch_loss"].mean(),
                     "None's first-epoch loss": g["none_first_epoch_loss"].mean(),
                     "checkpoints starting lower": int((per_ckpt < 0).sum()),
                     "mean difference": float(per_ckpt.mean()),
                     "t-test p": compare.t_test(per_ckpt.to_numpy()),
                     "reached None's final loss": int(reached.sum()),
                     "median % of None's steps to get there": round(100 * share.median(), 1) if len(share) else None})
    summary = pd.DataFrame(rows, columns=["target", "intermediate", "checkpoints", "paired runs", "first-epoch loss",
                                          "None's first-epoch loss", "checkpoints starting lower", "mean difference",
                                          "t-test p", "reached None's final loss",
                                          "median % of None's steps to get there"])
    summary.insert(summary.columns.get_loc("t-test p") + 1, "Holm p", compare.holm(summary["t-test p"]))
    return summary
