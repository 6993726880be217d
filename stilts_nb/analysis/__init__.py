"""Numbers from sweep results: per-pair summaries, deltas against None, stability statistics.

Every function takes the tidy run table (one row per run) with at least the columns
``target``, ``intermediate``, ``score`` and, for paired statistics, the grid columns ``lr``,
``batch_size``, ``warmup_ratio``, ``seed``; ``run_id`` is carried through so every number can be
traced back to store rows.

``analysis.compare`` holds the one paired comparison every verdict and table uses (the
intermediate checkpoint as the unit of replication, the paired t-test with Holm, TOST, the exact
signed-rank check, power and MDE); ``analysis.verdicts`` turns it into the verdicts a report leads
with; ``analysis.paired`` measures the dev set's own noise, paired, from per-example predictions.
"""
from .stability import bootstrap_ci, expected_max, near_floor_rate, paired_tests, sensitivity
from .compare import configuration_differences
from .summary import GRID, deltas, in_task_order, summarize, task_key

__all__ = ["GRID", "bootstrap_ci", "configuration_differences", "deltas", "expected_max", "in_task_order",
           "near_floor_rate", "paired_tests", "sensitivity", "summarize", "task_key"]
