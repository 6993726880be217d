"""Sweeps: content-addressed runs in an SQLite store, crash-safe resume, local or Ray execution.

    from stilts_nb.sweeps import load_sweep, run_sweep, results
    sweep = load_sweep("parameters/sweeps/demo_rte.yaml")
    run_sweep(sweep, "runs/stilts.sqlite")          # trains only what the store lacks
    df = results("runs/stilts.sqlite", status="done")

See docs/sweeps.md.
"""
from .config import PAPER_GRID, PAPER_INTERMEDIATE, Study, Sweep, load_sweep, parse_sweep
from .plan import Plan, Run, expand, seed_blocks
from .run import dry_run, format_dry_run, run_sweep
from .store import Store, default_path
from .tidy import checkpoints, results

__all__ = ["PAPER_GRID", "PAPER_INTERMEDIATE", "Plan", "Run", "Store", "Study", "Sweep", "checkpoints",
           "default_path", "dry_run", "expand", "format_dry_run", "load_sweep", "parse_sweep", "results",
           "run_sweep", "seed_blocks"]
