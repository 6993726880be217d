"""Notebook 07's instruments: linear CKA, LogME, the linear probe, the correlation and the bridge."""
import math

import numpy as np
import pytest

from stilts_nb.analysis import representations as rep


def slow_cka(x, y):
    """CKA from its definition: HSIC of the n x n linear kernels with the centring matrix H."""
    n = len(x)
    h = np.eye(n) - np.ones((n, n)) / n
    k, l = x @ x.T, y @ y.T

    def hsic(a, b):
        return np.trace(a @ h @ b @ h)

    return hsic(k, l) / math.sqrt(hsic(k, k) * hsic(l, l))


@pytest.fixture
def features():
    rng = np.random.default_rng(3)
    return rng.normal(size=(60, 12)) @ rng.normal(size=(12, 12))  # correlated columns, not white


def test_cka_of_a_representation_with_itself_is_one(features):
    assert rep.linear_cka(features, features) == pytest.approx(1.0, abs=1e-12)
    assert rep.linear_cka(features, features + 5.0) == pytest.approx(1.0, abs=1e-12)  # centred


def test_cka_is_invariant_to_rotation_and_isotropic_scale(features):
    rng = np.random.default_rng(4)
    other = rng.normal(size=features.shape)
    q, _ = np.linalg.qr(rng.normal(size=(12, 12)))
    base = rep.linear_cka(features, other)
    assert rep.linear_cka(features @ q, other) == pytest.approx(base, rel=1e-10)
    assert rep.linear_cka(3.7 * features, other) == pytest.approx(base, rel=1e-10)
    assert rep.linear_cka(features, features @ q * 0.01) == pytest.approx(1.0, abs=1e-10)


def test_cka_is_not_invariant_to_a_general_invertible_map(features):
    rng = np.random.default_rng(5)
    stretch = np.diag(np.geomspace(1, 100, 12)) @ rng.normal(size=(12, 12))
    assert abs(np.linalg.det(stretch)) > 1e-6  # invertible
    assert rep.linear_cka(features, features @ stretch) < 0.9


def test_cka_is_symmetric_and_matches_the_slow_definition(features):
    rng = np.random.default_rng(6)
    other = np.tanh(features @ rng.normal(size=(12, 7)))  # another width
    assert rep.linear_cka(features, other) == pytest.approx(rep.linear_cka(other, features), rel=1e-12)
    assert rep.linear_cka(features, other) == pytest.approx(slow_cka(features, other), rel=1e-9)
    assert 0.0 < rep.linear_cka(features, other) < 1.0
    with pytest.raises(ValueError, match="same examples"):
        rep.linear_cka(features, other[:-1])


def test_cka_of_independent_noise_is_small():
    rng = np.random.default_rng(7)
    assert rep.linear_cka(rng.normal(size=(2000, 5)), rng.normal(size=(2000, 5))) < 0.02


def decodable(n=400, d=20, seed=0):
    rng = np.random.default_rng(seed)
    x = rng.normal(size=(n, d))
    labels = (x[:, :3] @ np.array([1.5, -2.0, 1.0]) > 0).astype(int)  # a linear rule
    return x, labels, rng.integers(0, 2, size=n)  # ... and labels independent of x


def test_logme_is_higher_where_the_label_is_linearly_decodable():
    x, labels, noise = decodable()
    readable, unreadable = rep.logme(x, labels), rep.logme(x, noise)
    assert readable > unreadable + 0.1
    # random labels: the evidence is that of a model explaining nothing, about the label's own entropy
    assert rep.logme(x, labels) == pytest.approx(rep.logme(x * 1.0, labels))
    with pytest.raises(ValueError, match="two classes"):
        rep.logme(x, np.zeros(len(x)))


def test_logme_ranks_a_cleaner_representation_higher():
    x, labels, _ = decodable(seed=1)
    rng = np.random.default_rng(2)
    noisy = x + rng.normal(scale=3.0, size=x.shape)  # the same rule, read through noise
    assert rep.logme(x, labels) > rep.logme(noisy, labels)


def test_probe_reads_a_linear_rule_and_not_noise():
    x, labels, noise = decodable()
    assert rep.probe_accuracy(x, labels) > 0.9
    assert 0.35 < rep.probe_accuracy(x, noise) < 0.65
    three = np.digitize(x[:, 0], [-0.5, 0.5])  # three classes, multinomial
    assert rep.probe_accuracy(x, three) > 0.75  # the largest band holds 36%: a constant answer scores that


def test_correlation_interval_only_where_n_allows():
    small = rep.correlation([0, 1, 2], [0.1, 0.9, 2.2])
    assert small["n"] == 3 and small["r"] > 0.9 and small["low"] is None
    big = rep.correlation(np.arange(20), np.arange(20) + np.sin(np.arange(20)))
    assert big["low"] < big["r"] < big["high"] and big["low"] > 0.8
    assert rep.correlation([1, 1, 1, 1], [1, 2, 3, 4])["r"] is None
    assert rep.correlation([1, 2, float("nan"), 4, 5], [2, 4, 1, 8, 10])["n"] == 4


def curve(losses, per_epoch):
    return [{"step": i + 1, "epoch": i // per_epoch, "loss": l} for i, l in enumerate(losses)]


def test_bridge_measures_from_loss_curves():
    none = curve([0.70, 0.69, 0.68, 0.66, 0.64, 0.62, 0.60, 0.60], per_epoch=4)
    ahead = curve([0.62, 0.60, 0.58, 0.56, 0.55, 0.54, 0.53, 0.52], per_epoch=4)
    assert rep.first_epoch_loss(none) == pytest.approx((0.70 + 0.69 + 0.68 + 0.66) / 4)
    assert rep.final_loss(none) == pytest.approx(0.60)  # the last quarter: two points
    # trailing means of two points: 0.61 at step 2, 0.59 at step 3, the first at or below 0.60
    assert rep.steps_to_reach(ahead, rep.final_loss(none)) == 3
    assert rep.steps_to_reach(none, rep.final_loss(none)) == 8
    assert rep.steps_to_reach(none, 0.1) is None


def two_seed_study():
    """One intermediate task with two checkpoints (two intermediate seeds), and None, on one
    target: each checkpoint's target runs name it as their init_id."""
    import pandas as pd

    from stilts_nb.reporting.encoder_views import Study

    ckpts = pd.DataFrame({"intermediate": ["synthesis", "synthesis"], "run_id": ["i1", "i2"], "seed": [42, 7],
                          "checkpoint": ["/c1", "/c2"], "precision": "fp32", "label": ["Syn, seed 42", "Syn, seed 7"]})
    rows = []
    for init, inter, scores, first in ((None, "none", [0.50, 0.60, 0.70], 0.70), ("i1", "synthesis", [0.55, 0.65, 0.75], 0.60),
                                       ("i2", "synthesis", [0.50, 0.58, 0.90], 0.71)):
        for seed, score in zip((12, 42, 87), scores):
            loss = [first, first - 0.05, 0.60 if init == "i1" else 0.62, 0.60]
            rows.append({"target": "rte", "intermediate": inter, "init_id": init, "lr": 1e-4, "batch_size": 8,
                         "warmup_ratio": 0.0, "seed": seed, "score": score, "run_id": f"{init}-{seed}",
                         "loss_curve": curve(loss, per_epoch=2)})
    rows.append({**rows[-1], "seed": 999, "run_id": "unpaired", "score": 0.0})  # no None run has seed 999
    return Study({"targets": ["rte"]}, pd.DataFrame(rows), ckpts)


def test_delta_is_per_checkpoint_over_none_on_the_same_configurations():
    from stilts_nb.reporting import encoder_views

    d = encoder_views.deltas(two_seed_study()).set_index("run_id")
    assert list(d.index) == ["i1", "i2"] and list(d["pairs"]) == [3, 3]  # the unpaired run is left out
    assert d.loc["i1", "delta"] == pytest.approx(5.0)
    assert d.loc["i2", "delta"] == pytest.approx(100 * (0.66 - 0.60))
    table = encoder_views.checkpoint_table(two_seed_study())
    assert list(table["target runs started from it"]) == [3, 4]


def test_bridge_pairs_each_run_with_nones_same_configuration():
    from stilts_nb.reporting import encoder_findings, encoder_views

    table = encoder_views.bridge(two_seed_study())
    assert len(table) == 6 and set(table["checkpoint"]) == {"Syn, seed 42", "Syn, seed 7"}
    assert set(table["intermediate"]) == {"synthesis"}
    summary = encoder_views.bridge_summary(table)
    assert len(summary) == 1  # one intermediate task on one target: the checkpoints are its units
    row = summary.iloc[0]
    assert row["intermediate"] == "Synthesis" and row["checkpoints"] == 2 and row["paired runs"] == 6
    # seed 42 starts at 0.575 against None's 0.675 (-0.1); seed 7 at 0.685 (+0.01)
    assert row["checkpoints starting lower"] == 1
    assert row["mean difference"] == pytest.approx((-0.1 + 0.01) / 2)
    assert row["Holm p"] == pytest.approx(row["t-test p"])  # a family of one
    # None ends at 0.60 (the last quarter of 4 points is one); seed 42 starts there (step 1 of 4),
    # seed 7 gets there at None's own last step: the median of 3 x 25% and 3 x 100%
    assert row["reached None's final loss"] == 6
    assert row["median % of None's steps to get there"] == pytest.approx(62.5)
    text = encoder_findings.bridge(summary).data
    assert text.startswith("**Finding") and "(quoted)" in text
    assert "Synthesis → RTE, 2 checkpoints (6 paired runs): first-epoch loss 0.630 against None's 0.675" in text
    assert "after Holm over 1" in text and "no consistent head start" in text


def bridge_table(diffs: dict, runs: int = 2, target: str = "rte"):
    """A bridge() table built by hand: per intermediate task, one first-epoch loss difference per
    checkpoint (the same on each of its ``runs`` paired runs); None starts at 0.70."""
    import pandas as pd

    rows = []
    for task, per_ckpt in diffs.items():
        for i, d in enumerate(per_ckpt):
            for seed in range(runs):
                rows.append({"target": target, "intermediate": task, "checkpoint": f"{task}, seed {i}",
                             "run_id": f"{task}-{i}", "seed": seed, "lr": 1e-4, "first_epoch_loss": 0.70 + d,
                             "none_first_epoch_loss": 0.70, "steps_to_none_final": 50.0, "none_steps": 100})
    return pd.DataFrame(rows)


def test_bridge_tests_over_checkpoints_with_holm_over_the_rows():
    from stilts_nb.reporting import encoder_findings, encoder_views

    lower = [-0.020, -0.022, -0.019, -0.021, -0.020, -0.023]  # 6 checkpoints, all lower, consistently
    mixed = [-0.020, 0.015, -0.005, 0.010, -0.012, 0.008]
    summary = encoder_views.bridge_summary(bridge_table({"synthesis": lower, "cola": mixed, "mnli": [-0.03]}))
    rows = summary.set_index("intermediate")
    assert list(rows["checkpoints"]) == [6, 6, 1] and list(rows["paired runs"]) == [12, 12, 2]
    assert rows.loc["Synthesis", "checkpoints starting lower"] == 6
    assert rows.loc["CoLA", "checkpoints starting lower"] == 3
    assert rows.loc["Synthesis", "mean difference"] == pytest.approx(sum(lower) / 6)
    # the t-test is over the 6 per-checkpoint differences (not the 12 runs), Holm over the 2 tested rows
    from scipy import stats

    p_lower = stats.ttest_1samp(lower, 0.0).pvalue
    p_mixed = stats.ttest_1samp(mixed, 0.0).pvalue
    assert rows.loc["Synthesis", "t-test p"] == pytest.approx(p_lower)
    assert rows.loc["Synthesis", "Holm p"] == pytest.approx(2 * p_lower)
    assert rows.loc["CoLA", "Holm p"] == pytest.approx(max(p_mixed, 2 * p_lower))
    assert math.isnan(rows.loc["mnli", "t-test p"]) and math.isnan(rows.loc["mnli", "Holm p"])
    text = encoder_findings.bridge(summary).data
    synthesis = next(l for l in text.splitlines() if "Synthesis → RTE" in l)
    cola = next(l for l in text.splitlines() if "CoLA → RTE" in l)
    mnli = next(l for l in text.splitlines() if "nli → RTE" in l)
    assert synthesis.startswith("- **Headline**")  # the smallest adjusted p leads
    assert "6 checkpoints (12 paired runs)" in synthesis and "lower for 6 of 6" in synthesis
    assert "after Holm over 2" in synthesis and "starts lower than None: a head start" in synthesis
    assert "6 checkpoints" in cola and "after Holm over 2" in cola and "no consistent head start" in cola
    assert "one checkpoint (2 paired runs)" in mnli and "descriptive (one checkpoint: no test)" in mnli
    assert "Holm" not in mnli and "head start" not in mnli
    # as the report shows it and the CSV holds it: p to 3 significant digits, losses to 4 decimals
    from stilts_nb.reporting import tables

    shown = tables.for_file(summary).set_index("intermediate")
    assert shown.loc["CoLA", "t-test p"] == float(f"{p_mixed:.3g}") != p_mixed
    assert shown.loc["Synthesis", "mean difference"] == round(sum(lower) / 6, 4) == -0.0208


def test_bridge_says_higher_when_every_checkpoint_starts_higher():
    from stilts_nb.reporting import encoder_findings, encoder_views

    higher = [0.020, 0.022, 0.019, 0.021, 0.020, 0.023]
    text = encoder_findings.bridge(encoder_views.bridge_summary(bridge_table({"synthesis": higher}))).data
    assert "lower for 0 of 6" in text and "after Holm over 1" in text and "starts higher than None" in text


def test_findings_say_when_n_is_too_small():
    import pandas as pd

    from stilts_nb.reporting import encoder_findings

    ready = pd.DataFrame({"target": "rte", "pooling": "first", "run_id": ["pretrained", "i1", "i2"],
                          "checkpoint": ["pretrained encoder", "A", "B"], "logme": [-0.7, -0.6, -0.65],
                          "probe": [55.0, 60.0, 58.0], "delta": [0.0, 2.0, 1.0]})
    text = encoder_findings.readiness(ready).data
    assert "n = 3, too few for an interval" in text and "too small to conclude" in text
    assert "the highest LogME is the A's and the largest Δ the A's (the same encoder)" in text


@pytest.mark.slow
def test_notebook_07_reads_the_store_and_trains_nothing(tmp_path, shared_data, monkeypatch):
    """The smoke profile: 00-02 train; 07 then reads their checkpoints and runs, adds no run to
    the store, and writes its tables with one row per checkpoint."""
    import shutil

    import nbformat
    import pandas as pd

    from conftest import REPO
    from stilts_nb.reporting import run
    from stilts_nb.sweeps import results

    for folder in ("notebooks", "parameters"):
        shutil.copytree(REPO / folder, tmp_path / folder)
    monkeypatch.setenv("STILTS_CACHE", str(tmp_path / "cache"))
    quiet = dict(root=tmp_path, log=lambda *a, **k: None)
    run("smoke", ["00_synthesis", "01_baselines", "02_intermediate_ablation"], **quiet)
    store = tmp_path / "runs" / "stilts.sqlite"
    before = results(store)
    run("smoke", ["07_representations"], **quiet)
    after = results(store)
    assert sorted(after["id"]) == sorted(before["id"])  # nothing trained, nothing scored
    figures = tmp_path / "figures" / "smoke"
    ckpts = pd.read_csv(figures / "representations_checkpoints.csv")
    inters = before[before["role"] == "intermediate"]
    assert len(ckpts) == len(inters) >= 2  # synthesis (01) and cola (02) at least
    assert (ckpts["target runs started from it"] == 2).all()  # rte x 2 seeds each
    cka = pd.read_csv(figures / "representations_cka_to_pretrained.csv")
    assert cka["layer"].nunique() == 3  # tiny:bert: embeddings + 2 layers
    constant = (cka["pooling"] == "first") & (cka["layer"] == 0)  # [CLS]'s embedding: one vector for all
    assert cka.loc[constant, "cka"].isna().all() and cka.loc[~constant, "cka"].between(0, 1 + 1e-9).all()
    assert len(cka) == len(ckpts) * 3 * 2  # every checkpoint, layer and pooling
    ready = pd.read_csv(figures / "representations_readiness_vs_delta.csv")
    assert len(ready) == (len(ckpts) + 1) * 2 and ready["delta"].notna().all()
    book = nbformat.read(tmp_path / "reports" / "smoke" / "07_representations.ipynb", as_version=4)
    text = "".join(o["data"]["text/markdown"] for c in book.cells if c.cell_type == "code"
                   for o in c.outputs if "text/markdown" in o.get("data", {}))
    assert text.count("**Headline**") == 4
    # four encoders (pretrained, WinoGrande-XS, Synthesis, CoLA): the finding says n is too small
    assert "over n = 4" in text and "too small to conclude" in text


def test_probe_keeps_the_choices_of_one_example_in_one_fold():
    """Two choices of an example: near-identical features, opposite labels. Split apart, the
    probe learns the opposite answer and scores below chance; kept together it cannot cheat."""
    rng = np.random.default_rng(8)
    premise = rng.normal(size=(100, 10))
    x = np.repeat(premise, 2, axis=0) + rng.normal(scale=0.01, size=(200, 10))
    labels = np.tile([1, 0], 100)
    labels[::4], labels[1::4] = 0, 1  # which choice is right does not follow the features
    groups = np.repeat(np.arange(100), 2)
    assert rep.probe_accuracy(x, labels, folds=4) < 0.4
    assert 0.4 <= rep.probe_accuracy(x, labels, folds=4, groups=groups) <= 0.6


def test_logme_evidence_is_the_gaussian_marginal_and_the_fixed_point_maximises_it():
    from scipy.stats import multivariate_normal

    x, labels, _ = decodable(n=80, d=6, seed=9)
    target = labels.astype(float)
    alpha, beta = 0.7, 3.0
    direct = multivariate_normal(np.zeros(80), np.eye(80) / beta + x @ x.T / alpha).logpdf(target)
    assert rep.evidence(x, target, alpha, beta) == pytest.approx(direct, rel=1e-9)
    s, v = np.linalg.eigh(x.T @ x)
    fitted_a, fitted_b = rep.fit_precisions(x, target, s, v, iterations=100, tolerance=1e-10)
    best = rep.evidence(x, target, fitted_a, fitted_b)
    for da in (0.5, 1.0, 2.0):
        for db in (0.5, 1.0, 2.0):
            assert rep.evidence(x, target, fitted_a * da, fitted_b * db) <= best + 1e-9
    # LogME averages the one-hot columns of both classes; its default stop (at most 11 steps, 1%
    # on alpha / beta) lands within a hair of each column's optimum
    optimum = [rep.evidence(x, col, *rep.fit_precisions(x, col, s, v, iterations=100, tolerance=1e-10))
               for col in (1 - target, target)]
    assert 80 * rep.logme(x, labels) == pytest.approx(np.mean(optimum), abs=0.05)
    assert 80 * rep.logme(x, labels) <= np.mean(optimum) + 1e-9


def test_a_correlation_is_a_conclusion_only_from_enough_encoders():
    from stilts_nb.reporting.encoder_findings import _correlation_words

    strong_small = rep.correlation([1, 2, 3, 4, 5], [1.1, 2.0, 3.2, 3.9, 5.1])
    assert strong_small["low"] > 0 and "too small to conclude" in _correlation_words(strong_small)
    x = np.arange(12.0)
    assert "predicts the measured transfer" in _correlation_words(rep.correlation(x, x + np.sin(x)))
    assert "no correlation detectable" in _correlation_words(rep.correlation(x, np.cos(3 * x)))
