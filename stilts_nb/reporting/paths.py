"""Where a notebook reads its profile and writes its tables: paths relative to the output folder
(the kernel's working directory), so nothing of the machine that ran it shows in a report."""
from __future__ import annotations

from pathlib import Path

import pandas as pd

from ..errors import UserError


def defaults(profile: str) -> dict:
    """What every notebook takes besides its profile's own values (parameters/<profile>/<notebook>.yaml),
    relative to the output folder, where `stilts-nb run` starts the kernels."""
    from ..sweeps.store import default_path

    # workers: None = the sweep's own `workers:`; `stilts-nb run --workers N` sets it
    return {"store": str(default_path()), "executor": "local", "workers": None,
            "figures_dir": f"figures/{profile}"}


def work_in_output_folder() -> Path:
    """The project the notebook belongs to. Opened in JupyterLab, a notebook's kernel starts in
    notebooks/; it moves to the project folder, so that relative paths (store, Synthesis build,
    figures) mean what they mean under `stilts-nb run`, whose kernels start in the output folder."""
    import os

    from .runner import project_root

    root = project_root()
    if not os.environ.get("STILTS_PROJECT") and Path.cwd().resolve() != root.resolve():
        os.chdir(root)
    return root


def profile_values(profile: str, notebook: str, overrides: dict | None = None) -> dict:
    """The values a notebook runs on: its profile's YAML, then `overrides` on top (checked)."""
    from .runner import load_parameters

    values = {**defaults(profile), **load_parameters(profile, notebook, work_in_output_folder())}
    unknown = sorted(set(overrides or {}) - set(values))
    if unknown:
        raise UserError(f"overrides: unknown parameter(s) {', '.join(unknown)}; "
                        f"{notebook} takes {', '.join(sorted(values))}")
    return {**values, **(overrides or {})}


def save_table(table: pd.DataFrame, folder, name: str) -> list:
    """Write a table as CSV and Markdown beside the figures, its numbers as tables.for_file writes
    them (integers as integers, settings as 1e-4, floats rounded)."""
    from .tables import SETTING_COLUMNS, for_file

    table = for_file(table)
    folder = Path(folder)
    folder.mkdir(parents=True, exist_ok=True)
    csv, md = folder / f"{name}.csv", folder / f"{name}.md"
    table.to_csv(csv, index=False)
    # tabulate would read "1e-4" back as a number and print 0.0001: settings columns stay text
    settings = [i for i, col in enumerate(table.columns) if col in SETTING_COLUMNS]
    md.write_text(table.to_markdown(index=False, disable_numparse=settings or False) + "\n")
    return [csv, md]


def save_verdicts(found: list, folder, name: str) -> list:
    """A notebook's verdicts as two tables beside its figures: `name` (one row per comparison, the
    numbers its sentences print) and `name`_units (every unit each test saw, its Δ in points), from
    which a reader recomputes each p, its Holm adjustment and each MDE."""
    from ..analysis import verdicts

    return (save_table(verdicts.table(found), folder, name)
            + save_table(verdicts.units_table(found), folder, f"{name}_units"))
