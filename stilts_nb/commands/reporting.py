"""`stilts-nb run --profile NAME [NOTEBOOK ...]`: execute notebooks as reports."""
from __future__ import annotations

from ..errors import UserError
from ..reporting import sections
from ..reporting.runner import project_root, run


def register(sub) -> None:
    p = sub.add_parser("run", help="execute the notebooks with papermill into reports/<profile>/")
    p.add_argument("notebooks", nargs="*", metavar="NOTEBOOK", help=_default_notebooks())
    p.add_argument("--profile", required=True, help="a folder parameters/NAME/ of notebook YAML files "
                   "(smoke, demo, paper, or your copy of one) or an overlay parameters/NAME.yaml")
    p.add_argument("--store", help="SQLite results store (default: OUT_DIR/runs/stilts.sqlite, or "
                                   "$STILTS_STORE: the store `status` and `results` read)")
    p.add_argument("--executor", choices=("local", "ray"), default="local")
    from ..settings import int_or_auto

    p.add_argument("--workers", type=int_or_auto, metavar="N|auto",
                   help="runs trained at once in local worker processes (default: each sweep's `workers:`)")
    p.add_argument("--project", metavar="DIR", help="the folder with notebooks/ and parameters/ "
                   "(a clone of stilts-nb; default: the current folder)")
    p.add_argument("--out-dir", metavar="DIR", help="where reports/, figures/ and runs/ go "
                   "(default: the current folder)")
    p.add_argument("--rehearsal", action="store_true",
                   help="the profile with tiny models and sample data (parameters/<profile>-rehearsal.yaml)")
    p.set_defaults(func=lambda args: _main(args))


def _main(args) -> int:
    from pathlib import Path

    run(args.profile, args.notebooks, store=args.store, executor=args.executor,
        root=args.project, out=args.out_dir or Path.cwd(), rehearsal=args.rehearsal,
        workers=args.workers)
    return 0


def _default_notebooks() -> str:
    """The help's list: the sections of the current folder's project, where `run` looks by
    default. It is read whenever any sub-command's parser is built, so a folder that is no
    project, or a broken notebook in one, must not stop `stilts-nb tasks`: `run` reports it."""
    try:
        found = sections.names(project_root())
    except UserError:
        found = []
    return f"default: all ({', '.join(found)})" if found else "default: every section of the project"
