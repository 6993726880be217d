"""Figures of the paper, drawn with seaborn/matplotlib from the tidy run table."""
from .figures import expected_max_curves, improvement_by_size, loss_curves, save
from .violins import figure2

__all__ = ["expected_max_curves", "figure2", "improvement_by_size", "loss_curves", "save"]
