"""Paired example-level noise: two models scored on the same dev examples are paired samples.

Treating them as independent (the binomial error of each score, added) overstates the noise of
a difference: where two models agree on most examples, only the examples they disagree on carry
information about which is better. Three measures, each from the stored per-example predictions
(sweeps/predictions.py), each naming itself in the sentence that uses it:

- ``mcnemar``: two models, the same examples, accuracy: McNemar's exact test.
- ``paired_bootstrap``: two models, the same examples, accuracy or MCC: an interval for Δ.
- ``two_level_bootstrap``: a comparison over many configurations (pairs of runs with matched
  settings) on one dev set: an interval for the mean Δ that counts both sources of noise.
- ``models_bootstrap``: two groups of replicate models that are not paired with each other
  (an intermediate's checkpoints against None's random heads, zero-shot): the same, resampling
  each group's models on its own.

Inputs are numpy arrays indexed by the ``example`` column of ``predictions()`` (the position in
the scored dev set), so row i of every array is the same example.
"""
from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from scipy import stats


@dataclass(frozen=True)
class McNemar:
    b: int      # examples model A gets right and model B wrong
    c: int      # examples model A gets wrong and model B right
    p: float    # exact two-sided p: binomial test of b out of b + c at 1/2

    @property
    def discordant(self) -> int:
        return self.b + self.c


@dataclass(frozen=True)
class Interval:
    delta: float        # the observed difference, A − B, in points (×100)
    low: float          # percentile interval of the bootstrap distribution, points
    high: float
    confidence: float
    resamples: int

    def contains(self, value: float) -> bool:
        return self.low <= value <= self.high


def mcnemar(correct_a, correct_b) -> McNemar:
    """McNemar's exact test of two models' accuracy on the same examples.

    A sentence using it names it as "McNemar's exact test on the n examples both models scored
    (b vs c discordant pairs)". Only the discordant examples count: under no difference each is
    equally likely to favour either model, so b ~ Binomial(b + c, 1/2) (scipy's ``binomtest``;
    equal to statsmodels' ``mcnemar(exact=True)``). No disagreement at all: p = 1.
    """
    a, b_ = _paired_bools(correct_a, correct_b)
    b, c = int(np.sum(a & ~b_)), int(np.sum(~a & b_))
    p = 1.0 if b + c == 0 else float(stats.binomtest(b, b + c, 0.5).pvalue)
    return McNemar(b, c, p)


def paired_bootstrap(gold, pred_a, pred_b, metric: str = "accuracy", confidence: float = 0.95,
                     resamples: int = 5000, seed: int = 0) -> Interval:
    """Percentile interval of Δ metric (A − B, points ×100) by a paired bootstrap over examples.

    A sentence using it names it as "a paired bootstrap over the n dev examples (percentile
    interval, R resamples)". Each resample draws examples with replacement and scores both
    models on the same draw, so the noise of Δ is that of the pairs, not of two independent
    samples. ``metric``: "accuracy", or "mcc" (Matthews correlation, CoLA's metric, recomputed
    from the predictions on each resample). Seeded: the same call gives the same interval.
    """
    gold, pred_a, pred_b = (np.asarray(x) for x in (gold, pred_a, pred_b))
    if not gold.shape == pred_a.shape == pred_b.shape or gold.ndim != 1:
        raise ValueError("gold, pred_a and pred_b: one value per example each, the same examples")
    score = _metric(metric)

    def delta(g, a, b, axis=-1):
        return 100 * (score(g, a) - score(g, b))

    observed = float(delta(gold, pred_a, pred_b))
    if np.array_equal(pred_a, pred_b):  # every resample's Δ is 0; scipy would warn and say nan
        return Interval(0.0, 0.0, 0.0, confidence, resamples)
    res = stats.bootstrap((gold, pred_a, pred_b), delta, paired=True, vectorized=True,
                          n_resamples=resamples, confidence_level=confidence, method="percentile",
                          rng=np.random.default_rng(seed))
    ci = res.confidence_interval
    return Interval(observed, float(ci.low), float(ci.high), confidence, resamples)


def two_level_bootstrap(gold, preds_a, preds_b, metric: str = "accuracy", confidence: float = 0.95,
                        resamples: int = 2000, seed: int = 0,
                        configurations: bool = True) -> Interval:
    """Interval of the mean Δ (A − B, points ×100) over matched configurations, resampling
    configurations and examples together.

    ``preds_a``, ``preds_b``: (configurations × examples); row i of A and row i of B are a pair
    of runs with matched settings (the same lr, batch size, seed...), all scored on one dev set
    (``gold``). Each resample draws configurations with replacement and, independently, examples
    with replacement (one draw shared by every configuration, as every run saw the same
    examples), and takes the mean over the drawn configurations of Δ metric on the drawn
    examples. That counts the noise of which configurations were run as well as of which
    examples were scored; with examples and configurations crossed it is, if anything, a little
    wide. A sentence using it names it as "a bootstrap over the k configuration pairs and the n
    dev examples together (percentile interval, R resamples)". ``configurations=False`` keeps the
    configurations fixed and resamples examples only (the comparison that ignores the spread
    between configurations). Seeded.
    """
    gold, preds_a, preds_b = np.asarray(gold), np.atleast_2d(preds_a), np.atleast_2d(preds_b)
    if preds_a.shape != preds_b.shape or preds_a.shape[1] != gold.shape[0]:
        raise ValueError("preds_a, preds_b: (configurations x examples) each, on gold's examples")
    score = _metric(metric)
    k, n = preds_a.shape
    observed = float(np.mean(100 * (score(gold, preds_a) - score(gold, preds_b))))
    rng = np.random.default_rng(seed)
    deltas = np.empty(resamples)
    for r in range(resamples):
        rows = rng.integers(0, k, k) if configurations else np.arange(k)
        cols = rng.integers(0, n, n)
        g = gold[cols]
        deltas[r] = np.mean(100 * (score(g, preds_a[np.ix_(rows, cols)]) - score(g, preds_b[np.ix_(rows, cols)])))
    tail = 100 * (1 - confidence) / 2
    low, high = np.percentile(deltas, [tail, 100 - tail])
    return Interval(observed, float(low), float(high), confidence, resamples)


def models_bootstrap(gold, preds_a, preds_b, metric: str = "accuracy", confidence: float = 0.95,
                     resamples: int = 2000, seed: int = 0) -> Interval:
    """Interval of Δ (A − B, points ×100) between two groups of models that are not paired with
    each other, each group's rows being its replicate models (an intermediate's checkpoints; None's
    random heads), all scored on the same examples (``gold``).

    Each resample draws A's models and B's models with replacement, each group on its own, and the
    examples with replacement (one draw shared by both groups: every model saw the same examples),
    and takes the mean score of the drawn A models minus that of the drawn B models. A sentence
    using it names it as "a bootstrap over the dev examples and the models of each side together
    (percentile interval, R resamples)". Seeded."""
    gold, preds_a, preds_b = np.asarray(gold), np.atleast_2d(preds_a), np.atleast_2d(preds_b)
    if preds_a.shape[1] != gold.shape[0] or preds_b.shape[1] != gold.shape[0]:
        raise ValueError("preds_a, preds_b: (models x examples) each, on gold's examples")
    score = _metric(metric)
    observed = float(100 * (np.mean(score(gold, preds_a)) - np.mean(score(gold, preds_b))))
    rng = np.random.default_rng(seed)
    (ka, n), kb = preds_a.shape, preds_b.shape[0]
    deltas = np.empty(resamples)
    for r in range(resamples):
        cols = rng.integers(0, n, n)
        g = gold[cols]
        a = preds_a[np.ix_(rng.integers(0, ka, ka), cols)]
        b = preds_b[np.ix_(rng.integers(0, kb, kb), cols)]
        deltas[r] = 100 * (np.mean(score(g, a)) - np.mean(score(g, b)))
    tail = 100 * (1 - confidence) / 2
    low, high = np.percentile(deltas, [tail, 100 - tail])
    return Interval(observed, float(low), float(high), confidence, resamples)


def _paired_bools(correct_a, correct_b):
    a, b = np.asarray(correct_a, dtype=bool), np.asarray(correct_b, dtype=bool)
    if a.shape != b.shape or a.ndim != 1:
        raise ValueError("correct_a and correct_b: one flag per example each, the same examples")
    return a, b


def _metric(name: str):
    if name == "accuracy":
        return lambda gold, pred: np.mean(pred == gold, axis=-1)
    if name == "mcc":
        return matthews
    raise ValueError(f"metric: accuracy or mcc, not {name!r}")


def matthews(gold, pred):
    """Matthews correlation along the last axis (any leading shape: one per resample), in the
    multi-class form of training/evaluate.matthews and 0 where it is undefined, as there."""
    gold, pred = np.broadcast_arrays(np.asarray(gold), np.asarray(pred))
    classes = np.union1d(np.unique(gold), np.unique(pred))
    n = gold.shape[-1]
    c = np.sum(gold == pred, axis=-1).astype(float)  # trace of the confusion matrix
    t = np.stack([np.sum(gold == k, axis=-1) for k in classes], axis=-1).astype(float)
    p = np.stack([np.sum(pred == k, axis=-1) for k in classes], axis=-1).astype(float)
    cov_tp = c * n - np.sum(t * p, axis=-1)
    denom = np.sqrt((n * n - np.sum(p * p, axis=-1)) * (n * n - np.sum(t * t, axis=-1)))
    with np.errstate(invalid="ignore", divide="ignore"):
        return np.where(denom > 0, cov_tp / np.where(denom > 0, denom, 1), 0.0)
