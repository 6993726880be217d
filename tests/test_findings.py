"""Findings are sentences computed from the same statistics as the tables: they must say
"beyond the noise", "inside the noise" or "cannot answer" exactly when the numbers do."""
import itertools

import pandas as pd
import pytest

from stilts_nb.analysis import verdicts
from stilts_nb.reporting import findings, tables


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


def recorded(runs, floor=0.5, dev=600):
    """The run table as planning.sweep_runs returns it: each run's floor and dev size recorded."""
    return runs.assign(floor=floor, dev_examples=dev)


def test_a_clear_gain_helps_with_the_verdicts_numbers_and_a_headline():
    runs = recorded(grid_runs(0.05, 12), dev=5000)  # a dev set large enough for 5 points to carry over
    (v,) = verdicts.judge(runs, 2.0)
    out = text(findings.versus_none(runs, "quoted claim"))
    assert out.startswith(findings.HEAD) and "*The paper (quoted):* quoted claim" in out
    assert f"**Headline** ({findings.RULE}): Synthesis vs None on RTE: Δ mean +5.0 points" in out
    assert f"95% t-interval {v.row()['low']:+.1f} to {v.row()['high']:+.1f}, 12 paired configurations" in out
    assert "12 paired configurations, Wilcoxon p (Holm) = " in out and ": helps.\n" in out
    # what the design could detect, from the same rounded number the verdict table shows
    assert (f"with 12 paired configurations per comparison, a true Δ mean of {v.row()['detectable']:.1f} points "
            f"is detected with 80% power") in out
    # the same runs on a 600-example dev set: significant over configurations, but within what
    # dev-set sampling alone could produce, and the sentence says so
    small = text(findings.versus_none(recorded(grid_runs(0.05, 12), dev=600)))
    assert ": helps, on this dev set only: it is smaller than the dev-set sampling error" in small


def test_no_shift_is_no_difference_within_the_margin():
    out = text(findings.versus_none(recorded(grid_runs(0.0, 12, noise=0.002)), margin=2.0))
    assert "no difference larger than ±2.0" in out


def test_too_few_configurations_show_a_range_not_an_interval():
    out = text(findings.versus_none(recorded(grid_runs(0.05, 4))))
    assert "(range +4.0 to +6.0, 4 paired configurations): inconclusive (4 pairs: a range, no test)" in out
    assert "CI" not in out
    assert "fewer than 6: only ranges are shown, and no effect size can be promised detectable" in out


def test_a_target_at_its_floor_is_not_learned_whatever_the_difference():
    out = text(findings.versus_none(recorded(grid_runs(0.05, 12), floor=0.64)))
    assert ": not learned — None's mean" in out and "helps" not in out


def test_zero_shot_noise_uses_the_number_of_examples():
    scores = pd.DataFrame([{"intermediate": "none", "task": "socialiqa", "score": 0.35, "score_std": 0.0, "examples": n}
                           for n in (50,)] + [{"intermediate": "synthesis", "task": "socialiqa", "score": 0.43,
                                               "score_std": 0.0, "examples": 50}])
    assert "inside the noise" in text(findings.zero_shot(scores))
    scores["examples"] = 5000
    assert "above None beyond the noise" in text(findings.zero_shot(scores))


def test_a_stand_in_scored_on_its_own_task_is_not_called_zero_shot():
    scores = pd.DataFrame([{"intermediate": i, "task": "socialiqa", "score": s, "score_std": 0.0, "examples": 500}
                           for i, s in (("none", 0.34), ("socialiqa-p@2000", 0.50), ("synthesis", 0.36))])
    lines = text(findings.zero_shot(scores)).splitlines()
    (trained,) = [line for line in lines if "SocialIQA-p@2000 (stand-in for HellaSwag-p) on SocialIQA" in line]
    assert "not a zero-shot transfer" in trained
    assert not any("not a zero-shot transfer" in line for line in lines if "Synthesis on" in line)


def test_the_zero_shot_headline_is_a_transfer_beyond_the_noise_never_a_checkpoint_on_its_own_task():
    rows = [("socialiqa", "none", 0.340), ("socialiqa", "socialiqa@2000", 0.500),   # in domain: largest Δ
            ("socialiqa", "synthesis", 0.352), ("winogrande_xs", "none", 0.500),
            ("winogrande_xs", "socialiqa@2000", 0.560), ("winogrande_xs", "synthesis", 0.530)]
    scores = pd.DataFrame([{"task": t, "intermediate": i, "score": s, "score_std": 0.0, "examples": 2000}
                           for t, i, s in rows])
    lines = text(findings.zero_shot(scores)).split("\n")
    headline = next(line for line in lines if "**Headline**" in line)
    assert "SocialIQA@2000 (stand-in for HellaSwag) on WinoGrande-XS: 56.0 against None's 50.0 (Δ +6.0" in headline
    assert "above None beyond the noise" in headline
    assert sum("Headline" in line for line in lines) == 1 and len(lines) == 2 + 4  # head, blank, 4 rows
    # only in-domain rows: no headline to give
    alone = scores[scores["task"] == "socialiqa"].query("intermediate != 'synthesis'")
    assert "Headline" not in text(findings.zero_shot(alone))


def test_the_paper_is_quoted_for_the_same_pair():
    from stilts_nb.reporting import paper

    wic = paper.quoted("baselines", ["wic@1500"])
    assert "WiC 71.8 (None) → 73.7 (HellaSwag)" in wic and "RTE" not in wic and "subset" in wic
    assert "85.6" in paper.quoted("baselines", ["rte"]) and "subset" not in paper.quoted("baselines", ["rte"])
    ablation = paper.quoted("ablation", ["wic@3000"])
    assert "+3.9 / -0.3 (CoLA)" in ablation and "WinoGrande" not in ablation
    assert paper.quoted("ablation", ["cola"]) == paper.CLAIMS["ablation"]  # no quoted row: the general claim


@pytest.mark.parametrize("value,shown", [(0.123456, 0.1), (56.25, 56.2)])
def test_tables_round_scores_to_one_decimal_but_not_learning_rates(value, shown):
    t = tables.rounded(pd.DataFrame({"score": [value], "lr": [1e-5], "p": [0.012345]}))
    assert t.loc[0, "score"] == shown and t.loc[0, "lr"] == 1e-5 and t.loc[0, "p"] == 0.0123


def test_a_flat_loss_curve_is_counted_as_learning_nothing():
    curves = pd.DataFrame([{"run_id": r, "target": "winogrande_xs", "intermediate": "none", "step": s,
                            "loss": (0.693 if r == "flat" else 0.693 - 0.05 * s)} for r in ("flat", "moving")
                           for s in range(1, 9)])
    out = text(findings.flat_losses(curves, {"winogrande_xs": 0.6931}))
    assert "None → WinoGrande-XS: 1 of 2 runs end within 0.05 of the uniform-guess loss 0.693." in out
    # the meaning is stated once, apart from the counts, so "0 of 6" never reads "learned nothing"
    assert out.count("learned nothing") == 1 and "- A run counted here learned nothing" in out


def test_collapsed_runs_are_compared_with_fisher_and_named_and_the_headline_is_not_the_first_row():
    runs = grid_runs(0.0, 12)
    runs = pd.concat([runs, grid_runs(0.0, 12).query("intermediate == 'synthesis'").assign(intermediate="synthesis-p")])
    low = (runs["intermediate"] == "synthesis-p") & (runs["seed"] == 12)
    runs.loc[low, "score"] = 0.40                        # six collapsed runs, all seed 12
    out = text(findings.near_floor_runs(runs, {"rte": 0.51}, margin_se=1.0)).split("\n")
    headline = next(line for line in out if "**Headline**" in line)
    assert "Synthesis-p → RTE: more runs at the floor than None — 6 of 12 runs at or below the floor + 1 standard error, None 0 of 12" in headline
    assert f"Fisher's exact p = {verdicts.collapse_test(6, 12, 0, 12):.2g}" in headline
    assert headline.count("seed 12") == 6 and "seed 42" not in headline
    assert any(line.startswith("- Synthesis → RTE: inconclusive — 0 of 12") for line in out)


def test_a_stand_in_is_labelled_as_one_in_every_finding():
    runs = recorded(grid_runs(0.05, 12)).replace({"intermediate": {"synthesis": "socialiqa-p@2000"}})
    out = text(findings.versus_none(runs))
    assert "SocialIQA-p@2000 (stand-in for HellaSwag-p) vs None on RTE" in out
    assert findings.as_intermediate("synthesis") == "Synthesis"  # the paper's own baseline: no label


def test_when_nothing_collapsed_the_finding_says_so_instead_of_a_row_of_zeros():
    out = text(findings.near_floor_runs(grid_runs(0.0, 12), {"rte": 0.51}, margin_se=1.0))
    assert "No run, of None or of any intermediate, ended at or below the floor + 1 standard error (24 runs)." in out
    assert "Headline" not in out
