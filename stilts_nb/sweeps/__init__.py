"""Sweeps: content-addressed runs in an SQLite store, crash-safe resume, local or Ray execution.

    from stilts_nb.sweeps import load_sweep, run_sweep, results
    sweep = load_sweep("parameters/sweeps/demo_rte.yaml")
    run_sweep(sweep, "runs/stilts.sqlite")          # trains only what the store lacks
    df = results("runs/stilts.sqlite", status="done")

See docs/sweeps.md. Names are imported on first use, so `stilts-nb --help` does not pay for
pandas and torch.
"""
import importlib

_NAMES = {
    "PAPER_GRID": "config", "PAPER_INTERMEDIATE": "config", "Study": "config", "Sweep": "config",
    "load_sweep": "config", "parse_sweep": "config", "Plan": "plan", "Run": "plan",
    "expand": "plan", "seed_blocks": "plan", "results": "tidy", "checkpoints": "tidy",
    "dry_run": "run", "format_dry_run": "run",
    "run_sweep": "run", "Store": "store", "default_path": "store",
}
__all__ = sorted(_NAMES)


def __getattr__(name):
    if name not in _NAMES:
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
    return getattr(importlib.import_module(f"{__name__}.{_NAMES[name]}"), name)
