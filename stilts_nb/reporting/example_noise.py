"""The dev set's own noise, paired: how far a comparison's Δ mean could move if other dev examples
(and other configurations) had been drawn, from the runs' stored per-example predictions.

Two models scored on the same examples are paired: they agree on most of them, so the noise of
their difference is far below that of two independent samples. The interval here is
analysis.paired.two_level_bootstrap over the matched configuration pairs and the dev examples
together; a verdict sentence names it so.
"""
from __future__ import annotations

import pandas as pd

from ..analysis.summary import GRID
from ..errors import UserError

RESAMPLES = 2000


def intervals(runs: pd.DataFrame, store, baseline: str = "none", arms: list | None = None,
              resamples: int = RESAMPLES) -> dict:
    """(target, arm) -> (low, high), points: the 95% interval of Δ mean resampling matched
    configuration pairs and dev examples together. A comparison whose runs kept no predictions
    (stored before they were kept) is left out, and its sentence then has no such interval."""
    from ..analysis.paired import two_level_bootstrap
    from ..sweeps.predictions import aligned

    out = {}
    for target, per in runs.groupby("target", sort=False):
        base = per[per["intermediate"] == baseline]
        metric = per["metric"].iloc[0] if "metric" in per else "accuracy"
        for arm, group in per.groupby("intermediate", sort=False):
            if arm == baseline or (arms is not None and arm not in arms):
                continue
            pairs = group.merge(base, on=GRID, suffixes=("", "_base"))
            if pairs.empty:
                continue
            try:
                gold, mine, _ = aligned(store, list(pairs["run_id"]))
                _, theirs, _ = aligned(store, list(pairs["run_id_base"]))
            except UserError:  # no predictions kept, or different dev examples: no paired interval
                continue
            found = two_level_bootstrap(gold, mine, theirs, metric, resamples=resamples)
            out[(target, arm)] = (found.low, found.high)
    return out
