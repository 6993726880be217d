"""`stilts-nb` command line. Each pipeline stage registers its own sub-commands.

A stage's module in commands/ exposes ``register(subparsers)``, which adds its parsers and sets
``func``; it imports the stage itself only when its command runs, so `stilts-nb --help` loads
neither torch nor pandas.
User mistakes (UserError, and argparse's own complaints) print one line and exit 2; everything
else is a real bug and keeps its traceback. Output piped into a reader that stops early (head,
less) ends quietly with status 141, whatever the sub-command. Every sub-command gets a
description (its help line, unless it has its own) and shows its defaults.
"""
from __future__ import annotations

import argparse
import os
import re
import sys

from . import __version__
from .commands import export, reporting, sweeps, synthesis, tasks, training
from .errors import UserError

# "-1e-5" is no number to argparse (only "-1" and "-.5" are), so `--lr -1e-5` would be "expected
# one argument"; glued to its flag (--lr=-1e-5) it reaches the range check, which explains itself.
NEGATIVE = re.compile(r"^-(\d|\.\d|inf$|nan$)")

COMMANDS = (tasks, training, sweeps, export, reporting, synthesis)  # the order --help lists them in


class Formatter(argparse.ArgumentDefaultsHelpFormatter):
    """Shows a default where there is one to show (not None/False, not already in the help; not for
    a --no-X switch, whose True default would read as "X is off")."""

    def _get_help_string(self, action):
        off_switch = isinstance(action, argparse._StoreFalseAction)
        if action.default in (None, False) or off_switch or "default" in (action.help or ""):
            return action.help
        return super()._get_help_string(action)


class Parser(argparse.ArgumentParser):
    def error(self, message):  # one line, as for every other user mistake (no usage block)
        print(f"{self.prog}: error: {message} (see {self.prog} --help)", file=sys.stderr)
        sys.exit(2)


def build_parser() -> Parser:
    parser = Parser(prog="stilts-nb", description=__doc__.splitlines()[0], formatter_class=Formatter)
    parser.add_argument("--version", action="version", version=f"stilts-nb {__version__}")
    sub = parser.add_subparsers(dest="command", required=True)
    for command in COMMANDS:
        command.register(sub)
    for choice in sub._choices_actions:  # the help line each stage gave its sub-command
        cmd = sub.choices[choice.dest]
        cmd.formatter_class = Formatter
        cmd.description = cmd.description or choice.help
        for action in cmd._actions:  # flags without a help line still show their default
            if action.help is None and action.default not in (None, False, argparse.SUPPRESS):
                action.help = "default: %(default)s"
    return parser


def glue_negative_numbers(argv: list) -> list:
    out = []
    for token in argv:
        if out and NEGATIVE.match(token) and out[-1].startswith("--") and "=" not in out[-1]:
            out[-1] = f"{out[-1]}={token}"
        else:
            out.append(token)
    return out


def main(argv: list[str] | None = None) -> int:
    try:
        try:
            return _run(argv)
        finally:
            sys.stdout.flush()  # a reader that has gone shows up here, not in Python's exit
    except BrokenPipeError:
        # `stilts-nb tasks --json | head` closed its end: stop quietly, as Unix tools do. As
        # Python's docs (signal, "Note on SIGPIPE") advise, stdout then points at devnull so the
        # interpreter's own flush at exit cannot raise again.
        os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
        return 141  # 128 + SIGPIPE: what a shell reports for a tool that signal stopped


def _run(argv) -> int:
    argv = glue_negative_numbers(sys.argv[1:] if argv is None else list(argv))
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
