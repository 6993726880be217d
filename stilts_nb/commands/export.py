"""`stilts-nb export --to tensorboard|mlflow` (sweeps/export.py replays the curves)."""
from __future__ import annotations

from ..errors import UserError


def register(sub) -> None:
    p = sub.add_parser("export", help="replay a store's training curves into TensorBoard or MLflow")
    p.add_argument("--to", choices=("tensorboard", "mlflow"), required=True)
    p.add_argument("--store", help="default: $STILTS_STORE or runs/stilts.sqlite")
    p.add_argument("--out", default="tracking", help="folder the tracker writes into (default: tracking)")
    p.add_argument("--where", action="append", default=[], help="as for `stilts-nb results`")
    p.set_defaults(func=run_export)


def run_export(args) -> int:
    from importlib.util import find_spec
    from pathlib import Path

    from ..checks import writable_dir
    from ..sweeps.export import export
    from ..sweeps.run import store_path

    needs = {"tensorboard": ("tensorboard", "stilts-nb[tracking]"), "mlflow": ("mlflow", "stilts-nb[mlflow]")}
    module, extra = needs[args.to]
    if find_spec(module) is None:
        raise UserError(f"--to {args.to}: {module} is not installed; pip install '{extra}'")
    writable_dir(args.out, "--out")
    export(store_path(None, args.store), args.to, Path(args.out), where=args.where)
    return 0
