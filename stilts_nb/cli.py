"""`stilts-nb` command line. Each pipeline stage registers its own sub-commands.

A stage module exposes ``register(subparsers)``, which adds its parsers and sets ``func``.
User mistakes (UserError) print one line and exit 2; everything else is a real bug and keeps
its traceback.
"""
from __future__ import annotations

import argparse
import importlib
import sys

from .errors import UserError

STAGES = [
    "stilts_nb.tasks.cli",
    "stilts_nb.training.cli",
    "stilts_nb.sweeps.cli",
    "stilts_nb.notebooks.cli",
    "stilts_nb.synthesis.cli",
]


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="stilts-nb", description=__doc__.splitlines()[0])
    sub = parser.add_subparsers(dest="command", required=True)
    for module in STAGES:
        importlib.import_module(module).register(sub)
    return parser


def main(argv: list[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    try:
        return args.func(args) or 0
    except UserError as err:
        print(f"stilts-nb {args.command}: error: {err}", file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        print(f"stilts-nb {args.command}: interrupted", file=sys.stderr)
        return 130


if __name__ == "__main__":
    sys.exit(main())
