"""`stilts-nb run --profile smoke|demo|paper [NOTEBOOK ...]`: execute notebooks as reports."""
from __future__ import annotations

from .runner import NOTEBOOKS, PROFILES, run


def register(sub) -> None:
    p = sub.add_parser("run", help="execute the notebooks with papermill into reports/<profile>/")
    p.add_argument("notebooks", nargs="*", metavar="NOTEBOOK", help=f"default: all ({', '.join(NOTEBOOKS)})")
    p.add_argument("--profile", required=True, help=f"one of {', '.join(PROFILES)}")
    p.add_argument("--store", help="SQLite results store (default runs/<profile>/store.sqlite)")
    p.add_argument("--executor", choices=("local", "ray"), default="local")
    p.add_argument("--rehearsal", action="store_true",
                   help="the profile at stand-in scale (parameters/<profile>-rehearsal.yaml)")
    p.set_defaults(func=lambda args: _main(args))


def _main(args) -> int:
    run(args.profile, args.notebooks, store=args.store, executor=args.executor,
        rehearsal=args.rehearsal)
    return 0
