"""Notebook 07's findings, each formed by a stated rule from the tables the report shows
(encoder_views), with the numbers in the sentence. Scores and Δ are points (×100); CKA is 0-1.
"""
from __future__ import annotations

import pandas as pd

from ..analysis import representations as rep
from ..wording import p_text, stand_in_for
from .findings import _markdown, title

QUOTED = ("the intermediate task offers some high-level guidance to bridge the gaps between the "
          "pretraining and fine-tuning phase (Section 5.3); \"this is just an unverified hypothesis\" "
          "(Appendix C).")
UNCHANGED = 0.99  # CKA at or above this at every layer: the encoder did not move measurably
CHANGE_RULE = "the checkpoint and target with the lowest CKA to the pretrained encoder at any layer"
SAME_WAY_RULE = ("two checkpoints changed the encoder the same way when, at the top layer, they are closer "
                 "to each other than either is to the pretrained encoder; Synthesis against the "
                 "reasoning task (HellaSwag or its stand-in) leads when both are here, else the largest margin")
CONCLUDE_N = 10  # below this many encoders an interval that spans 0 says "too small", not "no correlation"
READY_RULE = "first-token features of the top layer, the measure with the strongest |r| leads"
BRIDGE_RULE = ("the unit is the checkpoint: its first-epoch loss minus None's, mean over its paired runs; "
               "a paired t-test over the checkpoints of each target and intermediate task, Holm over all of "
               "them; a head start where the adjusted p < 0.05 and the mean difference < 0; the smallest "
               "adjusted p leads, then the most checkpoints starting lower")
BRIDGE_ALPHA = 0.05


def _layer(i: int, count: int) -> str:
    return "the embeddings" if i == 0 else f"layer {i} of {count - 1}"


def changed(to_pre: pd.DataFrame, pooling: str = "mean"):
    """Q1: how much, and where, each checkpoint moved from the pretrained encoder."""
    rows = to_pre[to_pre["pooling"] == pooling]
    if rows.empty:
        return _markdown(["no checkpoint was found in the store: nothing to compare."], QUOTED)
    found = []
    for (target, label), g in rows.groupby(["target", "checkpoint"], sort=False):
        g = g.sort_values("layer")
        low = g.loc[g["cka"].idxmin()]
        count = len(g)
        moved = g[g["cka"] < UNCHANGED]
        top_third = bool(len(moved)) and low["layer"] >= (count - 1) * 2 / 3
        if moved.empty:  # where the minimum sits means nothing when nothing moved
            text = (f"CKA with the pretrained encoder at or above {UNCHANGED} at every layer "
                    f"(lowest {low['cka']:.3f}): unchanged")
        else:
            first = int(moved["layer"].min())
            upto = (f"at or above {UNCHANGED} up to {_layer(first - 1, count)}" if first > 0 else
                    f"below {UNCHANGED} from the embeddings on")
            text = (f"lowest CKA with the pretrained encoder {low['cka']:.2f} at {_layer(int(low['layer']), count)}; "
                    f"{upto}")
        found.append((low["cka"], top_third, f"{label} on {title(target)}: {text}."))
    found.sort(key=lambda f: f[0])
    if found[0][0] >= UNCHANGED:  # nothing moved: that is the headline, not one row of it
        return _markdown([f"**Headline** ({CHANGE_RULE}, {pooling}-pooled): no checkpoint moved the encoder "
                          f"measurably: CKA with the pretrained encoder is at or above {UNCHANGED} at every layer "
                          f"for all {len(found)} checkpoint-target pairs (lowest {found[0][0]:.3f})."], QUOTED)
    lines = [f"**Headline** ({CHANGE_RULE}, {pooling}-pooled): {found[0][2]}"] + [f[2] for f in found[1:]]
    lines.append(f"in {sum(f[1] for f in found)} of {len(found)} checkpoint-target pairs the lowest CKA is in the "
                 f"top third of the layers (1.00 = unchanged up to a rotation and scale).")
    return _markdown(lines, QUOTED)


def _reasoning(name: str) -> bool:
    base = name.split("@")[0]
    return base == "hellaswag" or stand_in_for(name) == "hellaswag"


def same_way(between: pd.DataFrame, to_pre: pd.DataFrame, checkpoints: pd.DataFrame, pooling: str = "mean"):
    """Q2: do two intermediates move the top layer in a shared direction? (SAME_WAY_RULE)"""
    rows = between[between["pooling"] == pooling]
    if rows.empty:
        return _markdown(["fewer than two checkpoints: no pair to compare."], QUOTED)
    names = checkpoints.set_index("run_id")
    pre = to_pre[to_pre["pooling"] == pooling]
    top = pre["layer"].max()
    pre = pre[pre["layer"] == top].set_index(["target", "run_id"])["cka"]
    found = []
    for r in rows[rows["layer"] == top].itertuples():
        a, b = names.loc[r.a], names.loc[r.b]
        pa, pb = pre[(r.target, r.a)], pre[(r.target, r.b)]
        margin = r.cka - max(pa, pb)
        if min(pa, pb) >= UNCHANGED:
            word = f"neither moved (CKA to the pretrained encoder ≥ {UNCHANGED}): nothing to compare"
        elif margin > 0:
            word = "the same way: closer to each other than either is to the pretrained encoder"
        else:
            word = "not measurably the same way: each is closer to the pretrained encoder than to the other"
        kind = " (two seeds of one task: the reference)" if a["intermediate"] == b["intermediate"] else ""
        lead = {a["intermediate"].split("@")[0], b["intermediate"].split("@")[0]} >= {"synthesis"} and (
            _reasoning(a["intermediate"]) or _reasoning(b["intermediate"]))
        found.append((not lead, -margin, f"{a['label']} and {b['label']} on {title(r.target)}{kind}: top-layer CKA "
                      f"{r.cka:.2f} between them, {pa:.2f} and {pb:.2f} to the pretrained encoder: {word}."))
    found.sort(key=lambda f: f[:2])
    lines = [f"**Headline** ({SAME_WAY_RULE}): {found[0][2]}"] + [f[2] for f in found[1:]]
    return _markdown(lines, QUOTED)


def _correlation_words(c: dict) -> str:
    n = c["n"]
    if c["r"] is None:
        why = "fewer than 2 points" if n < 2 else "one of the two series is constant"
        return (f"no correlation defined over n = {n} ({why})"
                + (f"; n = {n} is too small to conclude in any case" if n < CONCLUDE_N else ""))
    if c["low"] is None:
        return (f"r = {c['r']:+.2f} over n = {n}, too few for an interval (it needs "
                f"{rep.MIN_CORRELATION_N}): too small to conclude anything")
    span = f"r = {c['r']:+.2f} over n = {n}, 95% interval {c['low']:+.2f} to {c['high']:+.2f}"
    if (c["low"] > 0 or c["high"] < 0) and n < CONCLUDE_N:  # a Fisher interval at n = 4 is no footing
        return (f"{span}: the interval excludes 0, but n = {n} (below {CONCLUDE_N}) is too small to conclude, "
                f"and several such correlations are shown here")
    if c["low"] > 0 or c["high"] < 0:
        return f"{span}: readiness {'predicts' if c['r'] > 0 else 'runs against'} the measured transfer"
    if n < CONCLUDE_N:
        return f"{span}: the interval spans 0 and n = {n} is too small to conclude"
    return f"{span}: no correlation detectable at this n"


def readiness(ready: pd.DataFrame, pooling: str = "first"):
    """Q3: does target readiness of a checkpoint (LogME, probe) go with its measured Δ over None?"""
    rows = ready[(ready["pooling"] == pooling) & ready["delta"].notna()]
    if rows.empty:
        return _markdown(["no checkpoint has target runs paired with None's: no Δ to set readiness against."], QUOTED)
    found = []
    for target, g in rows.groupby("target", sort=False):
        best_ready = g.loc[g["logme"].idxmax(), "checkpoint"]
        best_delta = g.loc[g["delta"].idxmax(), "checkpoint"]
        ranked = (f"on {title(target)} every Δ is {g['delta'].iloc[0]:+.1f}: no checkpoint transferred more than another"
                  if g["delta"].nunique() == 1 else
                  f"on {title(target)} the highest LogME is the {best_ready}'s and the largest Δ the {best_delta}'s"
                  f"{' (the same encoder)' if best_ready == best_delta else ''}")
        for measure, name in (("logme", "LogME"), ("probe", "probe accuracy")):
            c = rep.correlation(g[measure], g["delta"])
            found.append((-abs(c["r"] or 0), f"{name} against Δ mean over None on {title(target)} "
                          f"({len(g) - 1} checkpoints and the pretrained encoder at Δ 0): {_correlation_words(c)}."))
        found.append((1, ranked + "."))
    found.sort(key=lambda f: f[0])
    lines = [f"**Headline** ({READY_RULE}): {found[0][1]}"] + [f[1] for f in found[1:]]
    return _markdown(lines, QUOTED)


def _checkpoints(n: int) -> str:
    return "one checkpoint" if n == 1 else f"{n} checkpoints"


def bridge(summary: pd.DataFrame):
    """Q4: does an intermediate task start fine-tuning lower than None, over its checkpoints, and
    reach None's end sooner? (BRIDGE_RULE)"""
    if summary.empty:
        return _markdown(["no target run has a loss curve paired with None's: no bridge to measure."], QUOTED)
    family = int(summary["Holm p"].notna().sum())  # the rows with a test: Holm's k
    found = []
    for r in summary.to_dict("records"):
        n, lower, diff, runs = r["checkpoints"], r["checkpoints starting lower"], r["mean difference"], r["paired runs"]
        adjusted = r["Holm p"]
        if n < 2 or pd.isna(adjusted):
            test, word = "", "descriptive (one checkpoint: no test)"
        else:
            test = (f" (paired t-test over the {n} checkpoints p = {p_text(r['t-test p'])}, "
                    f"{p_text(adjusted)} after Holm over {family})")
            word = ("starts lower than None: a head start" if adjusted < BRIDGE_ALPHA and diff < 0 else
                    "starts higher than None" if adjusted < BRIDGE_ALPHA and diff > 0 else
                    "no consistent head start")
        share = r["median % of None's steps to get there"]
        reached, none_first = r["reached None's final loss"], r["None's first-epoch loss"]
        reach = (f"reached None's final loss in {reached} of {runs} runs"
                 + (f", in a median {share:.0f}% of None's steps" if pd.notna(share) else ""))
        found.append((adjusted if pd.notna(adjusted) else 2.0, -lower,
                      f"{r['intermediate']} → {title(r['target'])}, {_checkpoints(n)} ({runs} paired runs): "
                      f"first-epoch loss {r['first-epoch loss']:.3f} against None's {none_first:.3f}, "
                      f"mean difference {diff:+.4f}, lower for {lower} of {n}{test}: {word}; {reach}."))
    found.sort(key=lambda f: f[:2])
    lines = [f"**Headline** ({BRIDGE_RULE}): {found[0][2]}"] + [f[2] for f in found[1:]]
    return _markdown(lines, QUOTED)
