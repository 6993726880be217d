"""What an intermediate task did to the encoder, measured on frozen features (notebook 07).

- `linear_cka`: linear centred kernel alignment (Kornblith et al., 2019), HSIC with linear kernels
  normalised to [0, 1]: 1 means the two layers hold the same representation up to a rotation and
  a scale.
- `logme`: LogME (You et al., 2021), the log marginal evidence of a Bayesian linear model from
  features to one-hot labels, maximised over its two precisions by the paper's fixed-point
  iteration; higher means the labels are easier to read off the features linearly.
- `probe_accuracy`: a linear probe (L2-regularised logistic regression on frozen, standardised
  features) scored by k-fold cross-validation.
- `correlation`: Pearson's r with its Fisher-z interval, None where n is too small for one.
- `bridge`: from paired loss curves, the first-epoch loss and the steps to reach None's final loss.

Only numpy and torch: scikit-learn is not a dependency of this package.
"""
from __future__ import annotations

import math

import numpy as np


def _centred(x) -> np.ndarray:
    x = np.asarray(x, dtype=np.float64)
    if x.ndim != 2:
        raise ValueError(f"features must be (examples, dimensions), got shape {x.shape}")
    return x - x.mean(axis=0, keepdims=True)


def linear_cka(x, y) -> float:
    """Linear CKA between two feature matrices over the same examples (rows).

    ||Yc^T Xc||_F^2 / (||Xc^T Xc||_F ||Yc^T Yc||_F) on column-centred features: the
    feature-space form of HSIC(K, L) / sqrt(HSIC(K, K) HSIC(L, L)) with K = X X^T, L = Y Y^T,
    which costs O(n d^2) instead of O(n^2 d) and equals it exactly."""
    xc, yc = _centred(x), _centred(y)
    if xc.shape[0] != yc.shape[0]:
        raise ValueError(f"CKA compares the same examples: {xc.shape[0]} rows against {yc.shape[0]}")
    cross = np.linalg.norm(yc.T @ xc) ** 2
    norm = np.linalg.norm(xc.T @ xc) * np.linalg.norm(yc.T @ yc)
    if norm == 0.0:  # a constant layer carries no representation to compare
        return float("nan")
    return float(cross / norm)


def logme(features, labels, iterations: int = 11, tolerance: float = 0.01) -> float:
    """LogME per example, averaged over the classes (one-hot target columns).

    For each class column y, the model y = F m + noise with prior m ~ N(0, 1/alpha) and noise
    precision beta; the evidence p(y | F, alpha, beta) is maximised by the published fixed point
    (`fit_precisions`) and returned per example (`evidence`)."""
    f = np.asarray(features, dtype=np.float64)
    y = np.asarray(labels)
    classes = np.unique(y)
    if len(classes) < 2:
        raise ValueError("LogME needs at least two classes among the labels")
    s, v = np.linalg.eigh(f.T @ f)  # F^T F = V diag(s) V^T, once for every class
    s = np.clip(s, 0.0, None)
    scores = []
    for c in classes:
        target = (y == c).astype(np.float64)
        alpha, beta = fit_precisions(f, target, s, v, iterations, tolerance)
        scores.append(evidence(f, target, alpha, beta, s, v) / len(target))
    return float(np.mean(scores))


TINY = 1e-12  # keeps the precisions finite when a fit is perfect or the weights vanish


def _posterior_mean(f, target, alpha, beta, s, v):
    return v @ ((v.T @ (f.T @ target)) * beta / (alpha + beta * s))


def fit_precisions(f, target, s, v, iterations: int = 11, tolerance: float = 0.01) -> tuple:
    """(alpha, beta) by You et al.'s fixed point: gamma = sum beta s_i / (alpha + beta s_i),
    alpha = gamma / |m|^2, beta = (n - gamma) / |y - F m|^2, with s_i the eigenvalues of F^T F
    and m the posterior mean. The paper notes it converges within ten steps; we stop at
    `iterations` or when alpha / beta moves by less than `tolerance` (relative)."""
    alpha, beta = 1.0, 1.0
    for _ in range(iterations):
        gamma = float(np.sum(beta * s / (alpha + beta * s)))
        m = _posterior_mean(f, target, alpha, beta, s, v)
        new_alpha = gamma / (float(m @ m) + TINY)
        new_beta = (len(target) - gamma) / (float(np.sum((target - f @ m) ** 2)) + TINY)
        moved = abs(new_alpha / new_beta - alpha / beta) / (alpha / beta)
        alpha, beta = new_alpha, new_beta
        if moved < tolerance:
            break
    return alpha, beta


def evidence(f, target, alpha: float, beta: float, s=None, v=None) -> float:
    """log p(y | F, alpha, beta), y ~ N(0, I / beta + F F^T / alpha), in the d-dimensional form
    (eigenvalues s and vectors v of F^T F; computed when not given)."""
    if s is None:
        s, v = np.linalg.eigh(f.T @ f)
        s = np.clip(s, 0.0, None)
    n, d = f.shape
    m = _posterior_mean(f, target, alpha, beta, s, v)
    residual = float(np.sum((target - f @ m) ** 2))
    return (d / 2 * math.log(alpha) + n / 2 * math.log(beta) - 0.5 * float(np.sum(np.log(alpha + beta * s)))
            - beta / 2 * residual - alpha / 2 * float(m @ m) - n / 2 * math.log(2 * math.pi))


def probe_accuracy(features, labels, folds: int = 5, l2: float = 0.1, seed: int = 0, groups=None) -> float:
    """Cross-validated accuracy of a multinomial logistic regression on frozen features.

    Features are standardised with each fold's training statistics; the loss is the mean
    cross-entropy plus `l2` * |W|^2 / 2, minimised by L-BFGS (convex: the result does not
    depend on the start). `l2` 0.1 on standardised features: with a few hundred examples in
    384-1024 dimensions a weaker penalty lets the probe interpolate its training fold, and L-BFGS
    then takes ~10x longer (measured: 6 s against 0.7 s for 500 x 384, 5 folds). The folds are a seeded permutation of the `groups` (default: each row
    its own): the choices of one multiple-choice example share their premise, so one of them in
    training and another in test would teach the probe to answer the opposite."""
    import torch

    x = np.asarray(features, dtype=np.float64)
    y = np.asarray(labels)
    classes, y = np.unique(y, return_inverse=True)
    groups = np.arange(len(y)) if groups is None else np.asarray(groups)
    names = np.random.default_rng(seed).permutation(np.unique(groups))
    parts = [np.flatnonzero(np.isin(groups, part)) for part in np.array_split(names, min(folds, len(names)))]
    correct = 0
    for k, test in enumerate(parts):
        train = np.concatenate([p for j, p in enumerate(parts) if j != k])
        mean, std = x[train].mean(axis=0), x[train].std(axis=0) + 1e-8
        xt = torch.tensor((x[train] - mean) / std)
        yt = torch.tensor(y[train])
        weight = torch.zeros(x.shape[1], len(classes), dtype=torch.float64, requires_grad=True)
        bias = torch.zeros(len(classes), dtype=torch.float64, requires_grad=True)
        opt = torch.optim.LBFGS([weight, bias], max_iter=200, line_search_fn="strong_wolfe")

        def closure():
            opt.zero_grad()
            loss = torch.nn.functional.cross_entropy(xt @ weight + bias, yt) + l2 / 2 * (weight ** 2).sum()
            loss.backward()
            return loss

        opt.step(closure)
        with torch.no_grad():
            scores = torch.tensor((x[test] - mean) / std) @ weight + bias
            correct += int((scores.argmax(1).numpy() == y[test]).sum())
    return correct / len(y)


MIN_CORRELATION_N = 4  # Fisher's z interval has n - 3 degrees of freedom: below 4, none exists


def correlation(a, b, level: float = 0.95) -> dict:
    """Pearson's r between paired values, with its Fisher-z interval; `low`/`high` are None when
    n < MIN_CORRELATION_N or r is undefined (a constant series)."""
    from scipy.stats import norm

    a, b = np.asarray(a, dtype=np.float64), np.asarray(b, dtype=np.float64)
    keep = np.isfinite(a) & np.isfinite(b)
    a, b = a[keep], b[keep]
    n = len(a)
    out = {"n": n, "r": None, "low": None, "high": None}
    if n < 2 or a.std() == 0 or b.std() == 0:
        return out
    r = float(np.corrcoef(a, b)[0, 1])
    out["r"] = r
    if n >= MIN_CORRELATION_N:
        z, half = math.atanh(max(min(r, 1 - 1e-12), -1 + 1e-12)), norm.ppf(0.5 + level / 2) / math.sqrt(n - 3)
        out["low"], out["high"] = math.tanh(z - half), math.tanh(z + half)
    return out


def first_epoch_loss(curve: list) -> float:
    """Mean of the losses logged in a run's first epoch (the store's loss_curve points)."""
    first = min(p["epoch"] for p in curve)
    return float(np.mean([p["loss"] for p in curve if p["epoch"] == first]))


def final_loss(curve: list) -> float:
    """Mean loss over the last quarter of the logged points: one point is too noisy to be 'the end'."""
    losses = [p["loss"] for p in sorted(curve, key=lambda p: p["step"])]
    return float(np.mean(losses[-max(1, len(losses) // 4):]))


def steps_to_reach(curve: list, level: float) -> int | None:
    """The first logged step at which the loss, averaged over the trailing quarter of the points
    (as `final_loss` measures the end), is at or below `level`; None if it never is."""
    points = sorted(curve, key=lambda p: p["step"])
    window = max(1, len(points) // 4)
    for i in range(window - 1, len(points)):
        if np.mean([p["loss"] for p in points[i - window + 1:i + 1]]) <= level:
            return int(points[i]["step"])
    return None
