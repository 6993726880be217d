"""`stilts-nb export --to tensorboard|mlflow`: replay a store's training curves into a tracker.

The store holds every run's loss curve (and its learning rate per logged step), so runs trained
without a tracker, the demo's for instance, can still be browsed in TensorBoard afterwards. The
same accelerate trackers and the same names as live tracking (training/tracking.py) are used, so
an exported run and a live-tracked one look alike.
"""
from __future__ import annotations

from pathlib import Path

from ..errors import UserError


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


def register(sub) -> None:
    p = sub.add_parser("export", help="replay a store's training curves into TensorBoard or MLflow")
    p.add_argument("--to", choices=("tensorboard", "mlflow"), required=True)
    p.add_argument("--store", help="default: $STILTS_STORE or runs/stilts.sqlite")
    p.add_argument("--out", default="tracking", help="folder the tracker writes into (default: tracking)")
    p.add_argument("--where", action="append", default=[], help="as for `stilts-nb results`")
    p.set_defaults(func=run_export)


def run_export(args) -> int:
    from importlib.util import find_spec

    from ..checks import writable_dir
    from .run import store_path

    needs = {"tensorboard": ("tensorboard", "stilts-nb[tracking]"), "mlflow": ("mlflow", "stilts-nb[mlflow]")}
    module, extra = needs[args.to]
    if find_spec(module) is None:
        raise UserError(f"--to {args.to}: {module} is not installed; pip install '{extra}'")
    writable_dir(args.out, "--out")
    export(store_path(None, args.store), args.to, Path(args.out), where=args.where)
    return 0
