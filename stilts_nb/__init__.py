"""stilts-nb: intermediate-task fine-tuning (STILTs) experiments, notebook first.

Pipeline, one sub-package per stage:
    tasks -> synthesis -> training -> sweeps/store -> analysis/plots -> notebooks
"""

__version__ = "0.1.0"
