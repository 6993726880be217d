"""Paired example-level noise (analysis/paired.py) on synthetic predictions whose answer is known."""
import numpy as np
import pytest
from statsmodels.stats.contingency_tables import mcnemar as sm_mcnemar

from stilts_nb.analysis import paired
from stilts_nb.training.evaluate import matthews as engine_matthews


def _answers(gold, correct):
    """Binary predictions that are right exactly where `correct` says."""
    return np.where(correct, gold, 1 - gold)


def _pair(n_both, b, c, n_neither, seed=0):
    """Correctness flags of two models on n examples with the given 2x2 table, shuffled."""
    rows = ([(1, 1)] * n_both + [(1, 0)] * b + [(0, 1)] * c + [(0, 0)] * n_neither)
    flags = np.array(rows, dtype=bool)[np.random.default_rng(seed).permutation(len(rows))]
    return flags[:, 0], flags[:, 1]


def test_identical_models_are_not_told_apart():
    rng = np.random.default_rng(3)
    gold = rng.integers(0, 2, 500)
    pred = _answers(gold, rng.random(500) < 0.7)
    m = paired.mcnemar(pred == gold, pred == gold)
    assert (m.b, m.c, m.p) == (0, 0, 1.0)
    assert paired.paired_bootstrap(gold, pred, pred).contains(0.0)
    both = np.stack([pred, pred])
    assert paired.two_level_bootstrap(gold, both, both, resamples=200).contains(0.0)


def test_sixty_more_right_out_of_500_is_found():
    a, b = _pair(n_both=300, b=70, c=10, n_neither=120)
    m = paired.mcnemar(a, b)
    assert (m.b, m.c, m.discordant) == (70, 10, 80)
    assert m.p < 1e-10
    gold = np.random.default_rng(1).integers(0, 2, 500)
    ci = paired.paired_bootstrap(gold, _answers(gold, a), _answers(gold, b), resamples=2000)
    assert ci.delta == pytest.approx(12.0) and ci.low > 0


@pytest.mark.parametrize("b, c", [(0, 3), (5, 5), (12, 3), (70, 10), (1, 40), (17, 29)])
def test_exact_p_equals_statsmodels(b, c):
    a_flags, b_flags = _pair(n_both=50, b=b, c=c, n_neither=20, seed=b + c)
    ours = paired.mcnemar(a_flags, b_flags)
    theirs = sm_mcnemar([[50, b], [c, 20]], exact=True).pvalue
    assert ours.p == pytest.approx(theirs, rel=1e-12, abs=1e-15)


def test_mcc_is_the_engines_matthews():
    rng = np.random.default_rng(5)
    gold = rng.integers(0, 2, 300)
    a, b = _answers(gold, rng.random(300) < 0.8), _answers(gold, rng.random(300) < 0.65)
    ci = paired.paired_bootstrap(gold, a, b, metric="mcc", resamples=1000)
    assert ci.delta == pytest.approx(100 * (engine_matthews(a, gold) - engine_matthews(b, gold)))
    assert ci.low < ci.delta < ci.high
    three = rng.integers(0, 3, (4, 200))  # multi-class and batched along the leading axis
    for row in three[1:]:
        assert paired.matthews(three[0], row) == pytest.approx(engine_matthews(row, three[0]))
    assert paired.matthews(gold, np.zeros_like(gold)) == 0.0  # a constant prediction: undefined -> 0


def test_seeded():
    rng = np.random.default_rng(8)
    gold = rng.integers(0, 2, 200)
    a, b = _answers(gold, rng.random(200) < 0.75), _answers(gold, rng.random(200) < 0.7)
    assert paired.paired_bootstrap(gold, a, b, seed=4) == paired.paired_bootstrap(gold, a, b, seed=4)
    assert paired.paired_bootstrap(gold, a, b, seed=4) != paired.paired_bootstrap(gold, a, b, seed=5)


def test_interval_coverage_is_nominal_under_the_null():
    """Two equally good models, each right on an example with probability 0.7: the 90% interval
    of Δ should contain the true Δ = 0 in about 90% of simulated dev sets."""
    rng = np.random.default_rng(11)
    sims, n, hits = 300, 200, 0
    for i in range(sims):
        gold = rng.integers(0, 2, n)
        a, b = _answers(gold, rng.random(n) < 0.7), _answers(gold, rng.random(n) < 0.7)
        hits += paired.paired_bootstrap(gold, a, b, confidence=0.9, resamples=300, seed=i).contains(0.0)
    assert 0.84 <= hits / sims <= 0.95  # 300 sims: the binomial sd of the rate is 0.017


def test_two_level_is_wider_when_configurations_vary():
    """Eight matched configuration pairs whose true Δ differs (sd 6 points between them): the
    interval that also resamples configurations is wider than the examples-only one, and both
    are centred on the observed mean Δ."""
    rng = np.random.default_rng(2)
    k, n = 8, 400
    gold = rng.integers(0, 2, n)
    shift = rng.normal(0.0, 0.06, k)
    a = np.stack([_answers(gold, rng.random(n) < 0.7 + s) for s in shift])
    b = np.stack([_answers(gold, rng.random(n) < 0.7) for _ in range(k)])
    both = paired.two_level_bootstrap(gold, a, b, resamples=1000)
    examples = paired.two_level_bootstrap(gold, a, b, resamples=1000, configurations=False)
    assert both.delta == examples.delta == pytest.approx(100 * ((a == gold).mean() - (b == gold).mean()))
    assert both.high - both.low > 1.3 * (examples.high - examples.low)
    for ci in (both, examples):
        assert ci.low < ci.delta < ci.high


def test_mismatched_inputs_are_refused():
    with pytest.raises(ValueError, match="same examples"):
        paired.mcnemar([True, False], [True])
    with pytest.raises(ValueError, match="same examples"):
        paired.paired_bootstrap([0, 1, 1], [0, 1, 1], [0, 1])
    with pytest.raises(ValueError, match="configurations x examples"):
        paired.two_level_bootstrap([0, 1], np.zeros((2, 2)), np.zeros((3, 2)))
    with pytest.raises(ValueError, match="accuracy or mcc"):
        paired.paired_bootstrap([0, 1], [0, 1], [1, 1], metric="f1")
