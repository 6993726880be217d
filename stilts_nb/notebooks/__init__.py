"""Run the paper's notebooks with papermill, one profile at a time, and keep them as reports."""
from .runner import NOTEBOOKS, PROFILES, load_parameters, run

__all__ = ["NOTEBOOKS", "PROFILES", "load_parameters", "run"]
