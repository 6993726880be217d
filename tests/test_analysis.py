"""Summaries, deltas, paired statistics and figures on a synthetic run table with known answers."""
import itertools

import numpy as np
import pandas as pd
import pytest

from stilts_nb.analysis import (bootstrap_ci, near_floor_rate, deltas, expected_max, paired_tests,
                                sensitivity, summarize)
from stilts_nb.analysis.compare import holm
from stilts_nb.plots import figure2, improvement_by_size, save

GRID = list(itertools.product([5e-6, 1e-5, 2e-5], [8, 16, 32], [0.0, 0.2], [12, 42]))


def runs_table(shift: float = 0.05) -> pd.DataFrame:
    rng = np.random.default_rng(0)
    rows = []
    for target, inter in itertools.product(["rte", "wic"], ["none", "synthesis"]):
        for k, (lr, bs, wu, seed) in enumerate(GRID):
            base = 0.6 + 0.002 * k
            score = base + (shift if inter == "synthesis" else 0.0) + rng.normal(0, 0.001)
            rows.append({"target": target, "intermediate": inter, "lr": lr, "batch_size": bs, "warmup_ratio": wu,
                         "seed": seed, "score": score, "degenerate": score <= 0.5, "run_id": f"{target}-{inter}-{k}"})
    return pd.DataFrame(rows)


def test_summary_and_deltas():
    runs = runs_table()
    table = summarize(runs)
    assert len(table) == 4 and set(table["n"]) == {36}
    row = table[(table.target == "rte") & (table.intermediate == "none")].iloc[0]
    scores = runs[(runs.target == "rte") & (runs.intermediate == "none")]["score"]
    assert (row["min"], row["best"]) == (scores.min(), scores.max())
    assert len(row["run_ids"]) == 36
    d = deltas(runs)
    assert list(d["intermediate"]) == ["synthesis", "synthesis"]
    assert d["delta_mean"].to_numpy() == pytest.approx([5.0, 5.0], abs=0.1)


def test_paired_tests_see_a_consistent_gain_and_holm_adjusts():
    table = paired_tests(runs_table())
    assert list(table["n"]) == [36, 36] and list(table["wins"]) == [36, 36]
    assert set(table["unit"]) == {"target configuration"}
    assert (table["p"] < 1e-6).all() and (table["p_holm"] >= table["p"]).all()
    # the exact signed-rank p of 36 pairs all one way: 2 / 2^36, and it can reach Holm's level
    assert table["signed_rank_p"].to_numpy() == pytest.approx([2 / 2 ** 36] * 2)
    assert table["signed_rank_can_reject"].all()
    assert holm([0.01, 0.04, 0.03]) == pytest.approx([0.03, 0.06, 0.06])
    null = paired_tests(runs_table(shift=0.0))
    assert (null["p"] > 0.01).all()


def test_bootstrap_interval_contains_the_estimate():
    ci = bootstrap_ci(runs_table(), resamples=500)
    assert ((ci["mean_low"] <= ci["mean"]) & (ci["mean"] <= ci["mean_high"])).all()
    assert set(ci["interval"]) == {"95% bootstrap"} and "best_low" not in ci  # no interval for a maximum


def test_four_runs_get_a_range_called_a_range_not_a_confidence_interval():
    few = runs_table()
    few = few[few["seed"].eq(12) & few["batch_size"].eq(8) & few["lr"].isin([5e-6, 1e-5])]  # 4 per pair
    ci = bootstrap_ci(few, resamples=200)
    assert set(ci["n"]) == {4} and set(ci["interval"]) == {"range (4 values)"}
    first = few[(few.target == "rte") & (few.intermediate == "none")]["score"]
    row = ci.iloc[0]
    assert (row["mean_low"], row["mean_high"]) == pytest.approx((100 * first.min(), 100 * first.max()))
    tests = paired_tests(few)
    assert set(tests["interval"]) == {"range (4 values)"}
    # 4 pairs can give an exact signed-rank p of 1/8 at best: never below 0.05, so it is flagged
    assert not tests["signed_rank_can_reject"].any()


def test_expected_max_endpoints():
    emp = expected_max([0.1, 0.5, 0.9])
    assert emp.loc[0, "expected_max"] == pytest.approx(0.5)        # n=1: the mean
    assert emp["expected_max"].is_monotonic_increasing
    assert emp.loc[2, "expected_max"] == pytest.approx(0.1 / 27 + 0.5 * 7 / 27 + 0.9 * 19 / 27)


def test_near_floor_rate_and_sensitivity():
    runs = runs_table()
    rate = near_floor_rate(runs, {"rte": 0.527, "wic": 0.5}, margin=0.1)
    none_rte = rate[(rate.target == "rte") & (rate.intermediate == "none")].iloc[0]
    expected = (runs[(runs.target == "rte") & (runs.intermediate == "none")]["score"] <= 0.627).sum()
    assert none_rte["near_floor"] == expected and 0 < none_rte["rate"] < 1
    sens = sensitivity(runs)
    assert set(sens["hyperparameter"]) == {"lr", "batch_size", "warmup_ratio", "seed"}


def test_figures_are_written(tmp_path):
    from PIL import Image

    runs = runs_table()
    paths = save(figure2(runs, {"rte": 0.5, "wic": 0.5}, order=["none", "synthesis"]), tmp_path, "figure2")
    d = deltas(runs.assign(intermediate=runs["intermediate"].replace({"synthesis": "synthesis@2000"})))
    paths += save(improvement_by_size(d, {"synthesis@2000": 2000}), tmp_path, "figure3")
    for path in paths:
        assert path.stat().st_size > 1000
    assert Image.open(paths[0]).size[0] > 500


def test_figure3_ticks_are_the_sizes_trained():
    import pandas as pd

    d = pd.DataFrame({"target": "wic", "intermediate": ["a@300", "a@1200", "a"], "delta_mean": [1.0, 2.0, 3.0],
                      "delta_best": [1.5, 2.5, 3.5]})
    fig = improvement_by_size(d, {"a@300": 300, "a@1200": 1200, "a": 39905})
    ax = fig.axes[0]
    # the whole set is labelled as the paper labels full HellaSwag-p: "40k (full)"
    assert [t.get_text() for t in ax.get_xticklabels()] == ["300", "1200", "40k (full)"]
    assert not ax.get_xticklabels(minor=True)


def with_diverged_run(runs):
    """rte/synthesis's first run diverged: stored with the score of its constant prediction
    (every dev example predicted as class 0), as the training loop records it."""
    from stilts_nb.training.evaluate import constant_prediction_score

    labels = [0] * 131 + [1] * 146                                  # RTE dev: 131 entailment of 277
    runs = runs.assign(diverged=False)
    hit = (runs.target == "rte") & (runs.intermediate == "synthesis") & (runs.run_id.str.endswith("-0"))
    runs.loc[hit, ["score", "diverged", "degenerate"]] = [constant_prediction_score("accuracy", labels), True, True]
    return runs


def test_a_diverged_run_counts_in_min_mean_best_and_can_be_excluded():
    runs = with_diverged_run(runs_table())
    broken = 131 / 277
    pair = (runs.target == "rte") & (runs.intermediate == "synthesis")
    row = summarize(runs).set_index(["target", "intermediate"]).loc[("rte", "synthesis")]
    assert row["n"] == 36 and row["diverged"] == 1 and row["degenerate"] == 1
    assert row["min"] == pytest.approx(broken)
    assert row["mean"] == pytest.approx(runs.loc[pair, "score"].mean())   # the failure drags the mean
    assert row["best"] == runs.loc[pair, "score"].max()
    kept = summarize(runs, exclude_diverged=True).set_index(["target", "intermediate"]).loc[("rte", "synthesis")]
    assert kept["n"] == 35 and kept["diverged"] == 0 and kept["min"] > 0.6
    d = deltas(runs).set_index("target")
    assert d.loc["rte", "delta_mean"] < deltas(runs, exclude_diverged=True).set_index("target").loc["rte", "delta_mean"]
    assert paired_tests(runs).set_index("target").loc["rte", "n"] == 36
    assert paired_tests(runs, exclude_diverged=True).set_index("target").loc["rte", "n"] == 35
    rate = near_floor_rate(runs, {"rte": 0.527, "wic": 0.5}).set_index(["target", "intermediate"])
    assert rate.loc[("rte", "synthesis"), "near_floor"] == 1


def test_violins_mark_diverged_runs():
    runs = with_diverged_run(runs_table())
    fig = figure2(runs, {"rte": 0.5, "wic": 0.5}, order=["none", "synthesis"], targets=["rte", "wic"])
    rte, wic = fig.axes[:2]
    crosses = [c for c in rte.collections if c.get_label().startswith("diverged")]
    assert len(crosses) == 1 and crosses[0].get_offsets().tolist() == [[1.0, pytest.approx(100 * 131 / 277)]]
    assert not [c for c in wic.collections if c.get_label().startswith("diverged")]


def test_a_small_full_set_keeps_its_exact_size():
    import pandas as pd

    d = pd.DataFrame({"target": "wic", "intermediate": ["a@300", "a@600", "a"], "delta_mean": [1.0, 2.0, 3.0],
                      "delta_best": [1.5, 2.5, 3.5]})
    fig = improvement_by_size(d, {"a@300": 300, "a@600": 600, "a": 1200})  # the demo's Synthesis-p
    assert [t.get_text() for t in fig.axes[0].get_xticklabels()] == ["300", "600", "1200 (full)"]
