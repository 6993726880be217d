"""The sections of a project: a notebook notebooks/NAME.ipynb whose own metadata holds
``"stilts": {"order": N}`` is the section NAME, run and indexed in the order of N.

This is the one place a section is declared: the runner, the index and `stilts-nb run --help`
read this list. Which profiles run a section is said by their parameter files, not here: a profile
runs the sections it has parameters/<profile>/NAME.yaml for (runner.profile_sections). A notebook
without the metadata (a scratch notebook saved in notebooks/ from JupyterLab) is no section and
is never run. How to add one: docs/sections.md.

Only the order is declared. A section's title and the part of the paper it reproduces are its
notebook's first heading, which the reader sees and the index shows (reports.summary); a copy in
the metadata could come to disagree with it.
"""
from __future__ import annotations

import json
from pathlib import Path

from ..errors import UserError

KEY = "stilts"  # the notebook metadata key: {"stilts": {"order": 1}}


def names(root: Path) -> list:
    """The sections of the project at `root`, in their declared order (none without notebooks/)."""
    declared: dict = {}
    for path in sorted((Path(root) / "notebooks").glob("*.ipynb")):
        order = _order(path)
        if order is None:
            continue
        if order in declared:  # two notebooks in one place: which runs first would be chance
            raise UserError(f"{path}: metadata {KEY}.order {order} is also {declared[order]}'s; "
                            "each section needs an order of its own")
        declared[order] = path.stem
    return [declared[order] for order in sorted(declared)]


def _order(path: Path) -> int | None:
    try:
        book = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError) as err:
        raise UserError(f"{path}: not a readable notebook ({err})") from None
    own = book.get("metadata", {}).get(KEY) if isinstance(book, dict) else None
    if own is None:
        return None
    # exactly the one key: a title or an order misspelt here would otherwise be ignored quietly
    if not isinstance(own, dict) or set(own) != {"order"} or type(own["order"]) is not int:
        raise UserError(f"{path}: metadata {KEY} must be {{\"order\": N}}, N a whole number; "
                        f"it is {json.dumps(own)}")
    return own["order"]
