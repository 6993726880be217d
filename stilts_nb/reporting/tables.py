"""The tables a report shows, ours beside the paper's quoted numbers. Scores are ×100 with one
decimal everywhere (accuracy and MCC alike), the unit of the paper's tables and of the figures."""
from __future__ import annotations

import pandas as pd

from ..analysis import deltas, in_task_order, summarize
from ..wording import (FILE_DECIMALS, LOSS_DECIMALS, POINT_DECIMALS, TABLE_P_DIGITS, points, setting, significant,
                       stand_in_for)
from . import paper

SCORE_COLUMNS = ("min", "mean", "best")

# The best configuration of a grid is picked on the dev set it is then scored on, so a best-of-grid
# score (and a Δ best) is optimistic by construction: every table that shows one says so in the
# column's name, and the report beside it says why (BEST_NOTE).
OPTIMISTIC = "(dev-selected, optimistic)"
BEST = f"best {OPTIMISTIC}"
DELTA_BEST = f"Δ best {OPTIMISTIC}"
BEST_NOTE = ("*best* and *Δ best* are marked *dev-selected, optimistic*: the best configuration of the grid is "
             "picked on the same dev set it is scored on, so it rides that dev set's noise upward, and a "
             "new sample of examples would score it lower.")


def labelled_best(table: pd.DataFrame) -> pd.DataFrame:
    """`table` with its best-of-grid columns named as optimistic (BEST, DELTA_BEST)."""
    return table.rename(columns={"best": BEST, "delta_best": DELTA_BEST})


def best_note():
    """BEST_NOTE as the Markdown a notebook shows beside a table with a best-of-grid column."""
    from IPython.display import Markdown

    return Markdown(BEST_NOTE)


def rounded(table: pd.DataFrame, decimals: int = POINT_DECIMALS) -> pd.DataFrame:
    """Round every float column to `decimals`, except p-values (TABLE_P_DIGITS significant
    digits) and hyperparameter values (a learning rate of 1e-5 is not 0.0)."""
    from ..analysis import GRID

    out = table.copy()
    for col in out.columns:
        if pd.api.types.is_float_dtype(out[col]) and col not in GRID + ["value"]:
            out[col] = out[col].map(_p_value) if _is_p(col) else out[col].round(decimals)
    return out


# columns that hold counts or integer settings: a joined or pivoted table carries them as floats
# (12.0, 16.0), which a file should not
INTEGER_COLUMNS = {"seed", "batch_size", "n", "n_baseline", "pairs", "wins", "near_floor", "size",
                   "train_size", "degenerate", "diverged", "degenerate_none", "step", "epochs"}
# columns of settings written as a reader writes them (1e-4, 16, 0.1); "value" holds several
# settings at once (the sensitivity table: lr beside batch size beside seed)
SETTING_COLUMNS = {"lr", "warmup_ratio", "value"}
# training losses (07's bridge): their differences are thousandths, which FILE_DECIMALS would hide
LOSS_COLUMNS = {"first-epoch loss", "None's first-epoch loss", "mean difference"}


def for_file(table: pd.DataFrame) -> pd.DataFrame:
    """A table as paths.save_table writes it: counts and integer settings as integers, settings
    as wording.setting writes them, p-values to TABLE_P_DIGITS significant digits, every other
    float to at most FILE_DECIMALS decimals, so no file carries 0.08333333333333333 or 12.0."""
    out = table.copy()
    for col in out.columns:
        values = out[col]
        if col in SETTING_COLUMNS:
            out[col] = values.map(lambda v: v if pd.isna(v) else setting(v))
        elif not pd.api.types.is_float_dtype(values):
            continue
        elif col in INTEGER_COLUMNS and values.dropna().map(float.is_integer).all():
            out[col] = values.astype("Int64")
        elif _is_p(col):
            out[col] = values.map(_p_value)
        elif col in LOSS_COLUMNS:
            out[col] = values.round(LOSS_DECIMALS)
        else:
            out[col] = values.round(FILE_DECIMALS)
    return out


def summary_table(runs: pd.DataFrame) -> pd.DataFrame:
    """min / mean / best per pair, ×100."""
    table = summarize(runs).drop(columns="run_ids", errors="ignore")
    table[list(SCORE_COLUMNS)] = 100 * table[list(SCORE_COLUMNS)]
    return labelled_best(rounded(table))


def table2(runs: pd.DataFrame, targets=("rte", "wic"), counterpart: str | None = None) -> pd.DataFrame:
    """Best-of-grid None and HellaSwag beside the paper's Table 2 (quoted numbers).

    Without HellaSwag data the HellaSwag row says so, and the closest offline counterpart gets a
    row of its own, labelled: `counterpart`, or by default the run's stand-in for HellaSwag
    (wording.STAND_INS: SocialIQA in the demo), else Synthesis.
    """
    from .findings import title

    best = summarize(runs).set_index(["target", "intermediate"])["best"]
    present = list(dict.fromkeys(runs["intermediate"]))
    if counterpart is None:
        counterpart = next((i for i in present if stand_in_for(i) == "hellaswag"), "synthesis")
    rows = []
    for inter in ("none", "hellaswag", counterpart):
        # the name as every other table and the store write it ('None' would read back as a
        # missing value in pandas); what a stand-in plays is its own column
        instead = stand_in_for(inter)
        row = {"intermediate": inter, "role": f"stand-in for {title(instead)}" if instead else "the paper's"}
        for t in targets:
            ours = best.get((t, inter))
            full = full_task(t)  # a subset target (wic@1500) is set beside the paper's full task
            quoted = paper.TABLE2.get((inter, full))
            row[f"{t} ours, {BEST}"] = points(100 * ours) if ours is not None else "not available offline"
            row[f"{full} paper (Pruksachatkun / Chang & Lu, quoted)"] = (
                f"{quoted[0]} / {quoted[1]}" if quoted else "—  (not in the paper)")
        rows.append(row)
    return pd.DataFrame(rows)


def table3(runs: pd.DataFrame, intermediates: list) -> pd.DataFrame:
    """Δ mean / Δ best against None per target, ours beside the paper's Table 3 (quoted)."""
    d = deltas(runs)
    d = d[d["intermediate"].isin(intermediates)].copy()
    d[f"ours Δ mean / {DELTA_BEST}"] = [f"{m:+.1f} / {b:+.1f}" for m, b in zip(d["delta_mean"], d["delta_best"])]
    d["paper Δ mean / Δ best (quoted)"] = [_quoted_delta(i, t) for i, t in zip(d["intermediate"], d["target"])]
    return labelled_best(rounded(d.reset_index(drop=True)))


def full_task(target: str) -> str:
    """The task a subset target was drawn from: 'wic' for 'wic@1500'."""
    return target.split("@")[0]


def _quoted_delta(intermediate: str, target: str) -> str:
    """The paper's Table 3 cell for this row: the intermediate's own, else that of the paper's task
    it stands in for (SocialIQA-sh for Hella-sh), named, as the notebook's quoted claim
    (paper.quoted) sets it beside ours; "not in the paper" only when neither is in Table 3."""
    from .findings import title

    full = full_task(target)
    plays = stand_in_for(intermediate)
    quoted, notes = paper.TABLE3.get((intermediate, full)), []
    if quoted is None and plays:
        quoted = paper.TABLE3.get((plays, full))
        notes.append(f"{title(plays)}'s, which this stands in for")
    if quoted is None:
        return "—  (not in the paper)"
    if full != target:
        notes.append(f"on all of {full}")
    return f"{quoted} ({'; '.join(notes)})" if notes else quoted


def by_training_size(runs: pd.DataFrame, sizes: dict) -> pd.DataFrame:
    """Δ over None per target, with the target's training-set size (Section 5.2)."""
    d = deltas(runs)
    d["train_size"] = d["target"].map(sizes)
    degenerate = summarize(runs).set_index(["target", "intermediate"])["degenerate"]
    d["degenerate"] = [degenerate.get((t, i)) for t, i in zip(d["target"], d["intermediate"])]
    d["degenerate_none"] = [degenerate.get((t, "none")) for t in d["target"]]
    # smallest training set first; @N sizes compared as numbers (wic@500 before wic@1500)
    d = in_task_order(d, ["intermediate"]).sort_values("train_size", kind="stable")
    return labelled_best(rounded(d.reset_index(drop=True)))


def by_intermediate_size(runs: pd.DataFrame, sizes: dict) -> pd.DataFrame:
    """Δ over None per intermediate, with the intermediate's training-set size (Figure 3)."""
    d = deltas(runs)
    d["size"] = d["intermediate"].map(sizes)
    return labelled_best(rounded(d))


def sensitivity_table(sensitivity: pd.DataFrame) -> pd.DataFrame:
    """The long table of analysis.sensitivity (mean score ×100 per value of each hyperparameter)
    as one row per pair and one column per (hyperparameter, value), the values written as a
    reader writes them (batch 16, lr 5e-5; not 16.00000 and 0.00005)."""
    wide = sensitivity.pivot_table(index=["target", "intermediate"], columns=["hyperparameter", "value"],
                                   values="score")
    # pivoted on the numbers, so the columns sort by value (8 before 16), then written as text
    wide.columns = pd.MultiIndex.from_tuples([(hp, setting(v)) for hp, v in wide.columns],
                                             names=wide.columns.names)
    return wide.round(POINT_DECIMALS)


def _is_p(col) -> bool:
    """A column of p-values: "p", "p (t, Holm)", "t-test p", "Holm p"."""
    return str(col).startswith("p") or str(col).endswith(" p")


def _p_value(p):
    """A p column's value as tables and files show it; a missing p stays missing."""
    return p if pd.isna(p) else significant(p, TABLE_P_DIGITS)


def loss_curve_table(runs: pd.DataFrame) -> pd.DataFrame:
    """Long table of training-loss curves (one row per logged step of each run), from the store's
    loss_curve column; plots.loss_curves draws it."""
    rows = []
    for _, run in runs.iterrows():
        for point in run["loss_curve"] or []:
            step, loss = (point["step"], point["loss"]) if isinstance(point, dict) else point
            rows.append({"run_id": run["run_id"], "target": run["target"],
                         "intermediate": run["intermediate"], "lr": run["lr"], "step": step, "loss": loss})
    return pd.DataFrame(rows, columns=["run_id", "target", "intermediate", "lr", "step", "loss"])


def expected_max_table(runs: pd.DataFrame) -> pd.DataFrame:
    from ..analysis import expected_max

    # the metric rides along: plots.expected_max_curves shares a y-axis only within one metric
    metric = runs["metric"] if "metric" in runs else pd.Series("accuracy", index=runs.index)
    frames = [expected_max(group["score"]).assign(target=t, intermediate=i, metric=metric[group.index[0]])
              for (t, i), group in runs.groupby(["target", "intermediate"], sort=False)]
    return pd.concat(frames, ignore_index=True)


def checkpoint_table(checkpoints: pd.DataFrame) -> pd.DataFrame:
    """Each intermediate checkpoint (sweeps.checkpoints) as a report shows it: its task and seed,
    its own dev score and floor ×100, whether it learned its task by the verdicts' rule (more than
    FLOOR_SES dev-set standard errors above the floor) and how many target runs started from it."""
    from ..analysis.verdicts import FLOOR_SES, above_floor

    def learned(r):
        if pd.isna(r.score) or pd.isna(r.floor) or pd.isna(r.dev_examples):
            return "not finished"
        return "yes" if above_floor(r.score, r.floor, int(r.dev_examples), r.metric) else "no"

    def in_points(column):
        return (100 * checkpoints[column].astype(float)).round(POINT_DECIMALS)
    shown = checkpoints.assign(**{"its own dev score": in_points("score"), "floor": in_points("floor"),
                                  f"learned (> {FLOOR_SES:g} SE above floor)": [learned(r) for r in checkpoints.itertuples()]})
    return shown.rename(columns={"task": "intermediate", "targets": "target runs from it"})[
        ["intermediate", "seed", "metric", "its own dev score", "floor", "dev_examples",
         f"learned (> {FLOOR_SES:g} SE above floor)", "target runs from it"]].set_index(["intermediate", "seed"])
