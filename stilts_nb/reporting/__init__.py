"""Run the paper's notebooks with papermill, one profile at a time, and keep them as reports."""
from .runner import NOTEBOOKS, profiles, load_parameters, run

__all__ = ["NOTEBOOKS", "profiles", "load_parameters", "run"]
