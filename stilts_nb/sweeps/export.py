"""`stilts-nb export --to tensorboard|mlflow`: replay a store's training curves into a tracker.

The store holds every run's loss curve (and its learning rate per logged step), so runs trained
without a tracker, the demo's for instance, can still be browsed in TensorBoard afterwards. The
same accelerate trackers and the same names as live tracking (training/tracking.py) are used, so
an exported run and a live-tracked one look alike.
"""
from __future__ import annotations

from pathlib import Path


def export(store, to: str, out, where=None, log=print) -> int:
    """Write one tracker run per finished run with a curve; returns how many were written."""
    from ..training.tracking import make_trackers, readable_name
    from .tidy import results

    df = results(store, where=where, full=True)
    df = df[df.status.isin(["done", "diverged"])]
    group = Path(store).stem
    written = 0
    for row in df.itertuples():
        curve = row.loss_curve or []
        if not curve:
            continue
        config = row.config or {}
        name = f"{group} / {readable_name(config, row.intermediate if row.role == 'target' else None)}"
        (tracker,) = make_trackers(to, out, f"{name} ({row.id[:8]})")
        tracker.start()
        tracker.store_init_configuration({k: v if isinstance(v, (int, float, str, bool)) else str(v)
                                          for k, v in config.items() if k not in ("out", "progress")})
        for point in curve:
            tracker.log({"train/loss": point["loss"], "train/lr": point["lr"]}, step=point["step"])
        if row.score is not None and row.score == row.score:  # NaN: no score to show
            tracker.log({f"dev/{row.metric}": row.score}, step=curve[-1]["step"])
        tracker.finish()
        written += 1
    log(f"exported {written} run(s) from {store} to {to} under {out}")
    return written
