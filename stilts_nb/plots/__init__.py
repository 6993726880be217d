"""Figures of the paper, drawn with seaborn/matplotlib from the tidy run table."""
from .figures import figure2, improvement_by_size, save

__all__ = ["figure2", "improvement_by_size", "save"]
