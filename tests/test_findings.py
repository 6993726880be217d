"""Findings are sentences computed from the same statistics as the tables: they must say
"beyond the noise", "inside the noise" or "cannot answer" exactly when the numbers do."""
import itertools

import pandas as pd
import pytest

from stilts_nb.analysis import verdicts
from stilts_nb.reporting import findings, tables, zero_shot_table


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
    runs = recorded(grid_runs(0.05, 12))
    (v,) = verdicts.judge(runs, 2.0)
    out = text(findings.versus_none(verdicts.judge(runs, 2.0), "quoted claim"))
    assert out.startswith(findings.HEAD) and "*The paper (quoted):* quoted claim" in out
    assert f"**Headline** ({verdicts.HEADLINE_RULE}): Synthesis vs None on RTE: Δ mean +5.0 points" in out
    assert f"95% t-interval {v.row()['low']:+.1f} to {v.row()['high']:+.1f}, 12 target configurations" in out
    assert f"12 target configurations; t-test p = {v.row()['p (t, Holm)']:.2g} after Holm over 1): helps." in out
    # what the design could detect, from the same rounded number the verdict table shows
    assert (f"with 12 target configurations per comparison, the paired t-test at Holm's first-step level 0.05/1 "
            f"detects a true Δ mean of {v.row()['MDE']:.1f} points with 80% power") in out


def test_the_example_level_interval_is_named_in_the_sentence():
    runs = recorded(grid_runs(0.05, 12))
    out = text(findings.versus_none(verdicts.judge(runs, 2.0, examples={("rte", "synthesis"): (1.2, 8.9)})))
    assert "resampling dev examples and configurations together, Δ mean lies in +1.2 to +8.9" in out


def test_no_shift_is_no_difference_within_the_margin():
    out = text(findings.versus_none(verdicts.judge(recorded(grid_runs(0.0, 12, noise=0.002)), 2.0)))
    assert "no difference larger than ±2.0 — the 90% interval" in out and "lies inside ±2.0 (TOST p = " in out


def test_one_configuration_is_descriptive_not_a_test():
    out = text(findings.versus_none(verdicts.judge(recorded(grid_runs(0.05, 1)), 2.0)))
    assert "(range +6.0 to +6.0, 1 target configuration): descriptive (1 target configuration: no test)" in out
    assert "no minimum detectable effect could be computed" in out


def test_a_target_at_its_floor_is_not_learned_whatever_the_difference():
    out = text(findings.versus_none(verdicts.judge(recorded(grid_runs(0.01, 12), floor=0.64), 2.0)))
    assert ": not learned — neither mean" in out and ": helps" not in out


def test_the_paper_claim_compares_the_baselines_with_the_reasoning_task_and_leads():
    runs = grid_runs(0.0, 12, noise=0.002)
    runs = pd.concat([runs, runs[runs["intermediate"] == "synthesis"].assign(intermediate="socialiqa@2000")])
    spec = {"intermediates": ["none", "socialiqa@2000", "synthesis"]}
    arms = findings.simple_baselines(spec, "socialiqa@2000")
    assert arms == ["synthesis"]
    out = text(findings.versus_reference(verdicts.judge(recorded(runs), 2.0, baseline="socialiqa@2000", arms=arms)))
    assert ("**Headline** (the paper's claim, Synthesis against SocialIQA@2000 (stand-in for HellaSwag), on a target "
            "both learned): Synthesis vs SocialIQA@2000 (stand-in for HellaSwag) on RTE: Δ mean +0.0 points") in out
    assert "no difference larger than ±2.0" in out and "None vs" not in out
    assert out.count("Headline") == 1


def test_the_family_is_declared_from_the_parameters_alone():
    spec = {"intermediates": ["none", "socialiqa@2000", "socialiqa-p@2000", "synthesis"], "targets": ["wic@1500", "cola@1000"],
            "intermediate_training": {"seed": [42, 43, 44, 45, 46, 47]}}
    out = findings.family(spec, "socialiqa@2000").data
    assert "each of 3 intermediate(s) against None on each of 2 target(s), 6 comparisons, Holm-corrected" in out
    assert "the intermediate checkpoint (6 per task" in out and "2 simple baseline(s) against SocialIQA@2000" in out
    assert "4 comparisons" in out


def _zero_shot_store(path, rows, n=400, seed=0):
    """A real store holding zero-shot scorings with per-example predictions: `rows` of
    (scoring id, intermediate, task, accuracies per replicate model)."""
    from types import SimpleNamespace

    import numpy as np

    from stilts_nb.sweeps import schema
    from stilts_nb.sweeps.store import Store, this_owner

    rng = np.random.default_rng(seed)
    gold = {t: rng.integers(0, 3, n) for t in {r[2] for r in rows}}
    table = []
    with Store(path) as s:
        for rid, inter, task, accuracies in rows:
            preds = []
            for acc in accuracies:  # right on the first `acc` share of the examples, a wrong choice elsewhere
                right = np.arange(n) < round(acc * n)
                rng.shuffle(right)
                preds.append(np.where(right, gold[task], (gold[task] + 1) % 3))
            rec = {"example_id": np.array([f"{task}-{i}" for i in range(n)]), "gold": gold[task],
                   "prediction": np.stack(preds), "scores": None, "seeds": np.arange(len(accuracies))}
            row = SimpleNamespace(id=rid, role="zero_shot", config={**dict.fromkeys(schema.SETTING_COLUMNS),
                                                                    "task": task, "model": "m"},
                                  identity={"x": rid, "data": {}}, intermediate=None, init_id=None, studies=["05"])
            s.register([row], "zero_shot")
            s.claim(rid, this_owner())
            s.finish(rid, this_owner(), {"status": "done", "metrics": {"score": float(np.mean(accuracies)),
                                                                       "predictions": rec}})
            table.append({"intermediate": inter, "task": task, "scoring_id": rid, "score": float(np.mean(accuracies)),
                          "score_std": float(np.std(accuracies)), "seeds": len(accuracies), "examples": n})
    return pd.DataFrame(table)


def test_zero_shot_noise_is_paired_and_sees_a_real_difference(tmp_path):
    close = _zero_shot_store(tmp_path / "a.sqlite", [("n", "none", "winogrande_xs", [0.50, 0.51, 0.49]),
                                                     ("s1", "synthesis", "winogrande_xs", [0.51]),
                                                     ("s2", "synthesis", "winogrande_xs", [0.50])])
    assert "inside the noise" in text(findings.zero_shot(zero_shot_table.versus_none(close, tmp_path / "a.sqlite")))
    far = _zero_shot_store(tmp_path / "b.sqlite", [("n", "none", "winogrande_xs", [0.50, 0.51, 0.49]),
                                                   ("s1", "synthesis", "winogrande_xs", [0.60]),
                                                   ("s2", "synthesis", "winogrande_xs", [0.62])])
    assert "above None beyond the noise" in text(findings.zero_shot(zero_shot_table.versus_none(far, tmp_path / "b.sqlite")))


def test_positive_control_beyond_the_noise_and_never_the_headline(tmp_path):
    scores = _zero_shot_store(tmp_path / "c.sqlite", [
        ("n1", "none", "socialiqa", [0.347, 0.35, 0.34]), ("c1", "socialiqa@2000", "socialiqa", [0.404]),
        ("c2", "socialiqa@2000", "socialiqa", [0.41]), ("n2", "none", "winogrande_xs", [0.50, 0.50, 0.50]),
        ("w1", "socialiqa@2000", "winogrande_xs", [0.56]), ("w2", "socialiqa@2000", "winogrande_xs", [0.55])], n=500)
    compared = zero_shot_table.versus_none(scores, tmp_path / "c.sqlite")
    assert compared.set_index(["task", "intermediate"]).loc[("socialiqa", "socialiqa@2000"), "low"] > 0
    lines = text(findings.zero_shot(compared)).split("\n")
    headline = next(line for line in lines if "**Headline**" in line)
    assert "on WinoGrande-XS" in headline and "above None beyond the noise" in headline
    (control,) = [line for line in lines if "Positive control" in line]
    assert "SocialIQA@2000 (stand-in for HellaSwag) scored on SocialIQA" in control and "beyond the noise, as it must be" in control
    (trained,) = [line for line in lines if "on SocialIQA:" in line]
    assert "not a zero-shot transfer" in trained and "above None beyond the noise" in trained


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
    out = text(findings.versus_none(verdicts.judge(runs, 2.0)))
    assert "SocialIQA-p@2000 (stand-in for HellaSwag-p) vs None on RTE" in out
    assert findings.as_intermediate("synthesis") == "Synthesis"  # the paper's own baseline: no label


def test_when_nothing_collapsed_the_finding_says_so_instead_of_a_row_of_zeros():
    out = text(findings.near_floor_runs(grid_runs(0.0, 12), {"rte": 0.51}, margin_se=1.0))
    assert "No run, of None or of any intermediate, ended at or below the floor + 1 standard error (24 runs)." in out
    assert "Headline" not in out
