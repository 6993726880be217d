"""Findings are sentences computed from the same statistics as the tables: they must say
"beyond the noise", "inside the noise" or "cannot answer" exactly when the numbers do."""
import itertools

import pandas as pd
import pytest

from stilts_nb.analysis import paired_tests
from stilts_nb.notebooks import findings, tables


def grid_runs(shift: float, configs: int, noise: float = 0.01) -> pd.DataFrame:
    """None and Synthesis over the same configurations; Synthesis = None + shift (+ small wobble)."""
    rows = []
    grid = list(itertools.product([5e-6, 1e-5, 2e-5], [8, 16, 32], [0.0, 0.2], [12, 42]))[:configs]
    for k, (lr, bs, wr, seed) in enumerate(grid):
        base = 0.60 + 0.02 * (k % 5)
        for inter, score in (("none", base), ("synthesis", base + shift + noise * ((-1) ** k))):
            rows.append({"target": "rte", "intermediate": inter, "score": score, "run_id": f"{inter}{k}",
                         "lr": lr, "batch_size": bs, "warmup_ratio": wr, "seed": seed})
    return pd.DataFrame(rows)


def text(md) -> str:
    return md.data


def test_a_clear_gain_is_called_beyond_the_noise_with_the_tables_numbers():
    runs = grid_runs(0.05, 12)
    t = paired_tests(runs).iloc[0]
    out = text(findings.versus_none(runs, "quoted claim"))
    assert out.startswith(findings.HEAD) and "*The paper (quoted):* quoted claim" in out
    assert f"Δ mean {t.mean_diff:+.1f} points (95% CI {t.ci_low:+.1f} to {t.ci_high:+.1f})" in out
    assert "over 12 configurations: Synthesis is better than None beyond the noise" in out
    assert round(t.mean_diff, 1) == 5.0


def test_no_shift_is_inside_the_noise():
    out = text(findings.versus_none(grid_runs(0.0, 12, noise=0.02)))
    assert "inside the noise: no difference at this scale" in out


def test_too_few_configurations_cannot_answer():
    out = text(findings.versus_none(grid_runs(0.05, 4)))
    assert "over 4 configurations: too few configurations" in out and "cannot answer" in out


def test_zero_shot_noise_uses_the_number_of_examples():
    scores = pd.DataFrame([{"intermediate": "none", "task": "socialiqa", "score": 0.35, "score_std": 0.0, "examples": n}
                           for n in (50,)] + [{"intermediate": "synthesis", "task": "socialiqa", "score": 0.43,
                                               "score_std": 0.0, "examples": 50}])
    assert "inside the noise" in text(findings.zero_shot(scores))
    scores["examples"] = 5000
    assert "above None beyond the noise" in text(findings.zero_shot(scores))


@pytest.mark.parametrize("value,shown", [(0.123456, 0.1), (56.25, 56.2)])
def test_tables_round_scores_to_one_decimal_but_not_learning_rates(value, shown):
    t = tables.rounded(pd.DataFrame({"score": [value], "lr": [1e-5], "p": [0.012345]}))
    assert t.loc[0, "score"] == shown and t.loc[0, "lr"] == 1e-5 and t.loc[0, "p"] == 0.0123


def test_a_flat_loss_curve_is_counted_as_learning_nothing():
    curves = pd.DataFrame([{"run_id": r, "target": "winogrande_xs", "intermediate": "none", "step": s,
                            "loss": (0.693 if r == "flat" else 0.693 - 0.05 * s)} for r in ("flat", "moving")
                           for s in range(1, 9)])
    out = text(findings.flat_losses(curves, {"winogrande_xs": 0.6931}))
    assert "None → WinoGrande-XS: 1 of 2 runs end within 0.05 of the uniform-guess loss 0.693" in out
