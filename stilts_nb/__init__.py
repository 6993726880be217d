"""stilts-nb: intermediate-task fine-tuning (STILTs) experiments, notebook first.

Pipeline, one sub-package per stage:
    tasks -> synthesis -> training -> sweeps/store -> analysis/plots -> notebooks
"""

__version__ = "0.1.0"


def _quiet_text_progress() -> None:
    # In a Jupyter kernel without ipywidgets, tqdm.auto (used here and by transformers/datasets)
    # falls back to plain-text bars but first prints a red "IProgress not found" warning into the
    # report. The fallback is what we want; the warning tells a reader of a report nothing.
    import sys
    import warnings

    if "ipykernel" in sys.modules:
        warnings.filterwarnings("ignore", message="IProgress not found")


_quiet_text_progress()
