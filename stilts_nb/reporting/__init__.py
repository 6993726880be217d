"""Run the paper's notebooks with papermill, one profile at a time, and keep them as reports."""
from . import sections
from .runner import profiles, load_parameters, run

__all__ = ["sections", "profiles", "load_parameters", "run"]
