"""Notebook 07's figures: CKA by layer (to the pretrained encoder, and between checkpoints), and
target readiness against the measured Δ over None."""
from __future__ import annotations

import matplotlib.pyplot as plt
import numpy as np
import pandas as pd


def cka_to_pretrained(to_pre: pd.DataFrame):
    """Heatmaps, one per (target, pooling): checkpoints × layers, CKA with the pretrained encoder."""
    panels = list(to_pre.groupby(["target", "pooling"], sort=False))
    fig, axes = plt.subplots(len(panels), 1, squeeze=False,
                             figsize=(7, 0.5 + sum(1.0 + 0.35 * g["checkpoint"].nunique() for _, g in panels)))
    for ax, ((target, pooling), g) in zip(axes[:, 0], panels):
        # a layer whose features are constant (the first token's embedding) has no CKA: kept, blank
        grid = g.pivot_table(index="checkpoint", columns="layer", values="cka", sort=False, dropna=False)
        low = np.nanmin(grid.values) if np.isfinite(grid.values).any() else 1.0
        image = ax.imshow(grid.values, vmin=min(0.5, low), vmax=1.0, cmap="viridis", aspect="auto")
        ax.set_yticks(range(len(grid.index)), grid.index, fontsize=8)
        ax.set_xticks(range(len(grid.columns)), ["emb" if c == 0 else str(c) for c in grid.columns], fontsize=8)
        for (i, j), v in np.ndenumerate(grid.values):
            ax.text(j, i, "constant" if np.isnan(v) else f"{v:.2f}", ha="center", va="center", fontsize=7,
                    color="white" if v < 0.8 else "black")
        ax.set_title(f"{target}: CKA with the pretrained encoder ({pooling}-pooled)", fontsize=9)
        fig.colorbar(image, ax=ax, fraction=0.03)
    axes[-1, 0].set_xlabel("layer (emb = embeddings)")
    fig.tight_layout()
    return fig


LEGEND_PAIRS = 10


def cka_between(between: pd.DataFrame, labels: dict):
    """One line per pair of checkpoints: their CKA at each layer, a panel per (target, pooling)."""
    panels = list(between.groupby(["target", "pooling"], sort=False))
    fig, axes = plt.subplots(1, max(1, len(panels)), squeeze=False, figsize=(4.5 * max(1, len(panels)), 3.4))
    for ax, ((target, pooling), g) in zip(axes[0], panels):
        for (a, b), pair in g.groupby(["a", "b"], sort=False):
            ax.plot(pair["layer"], pair["cka"], marker="o", ms=3, label=f"{labels[a]} / {labels[b]}")
        ax.set_ylim(min(0.5, g["cka"].min() - 0.05), 1.01)
        ax.set_title(f"{target} ({pooling}-pooled)", fontsize=9)
        ax.set_xlabel("layer (0 = embeddings)")
        ax.set_ylabel("CKA between the two checkpoints")
        pairs = g.groupby(["a", "b"]).ngroups
        if pairs <= LEGEND_PAIRS:  # beyond that a legend outgrows the figure: the table beside names them
            ax.legend(fontsize=7)
        else:
            ax.set_title(f"{target} ({pooling}-pooled), {pairs} pairs: see the table", fontsize=9)
    fig.tight_layout()
    return fig


def readiness_vs_delta(ready: pd.DataFrame, pooling: str = "first"):
    """LogME and probe accuracy (top layer) against the measured Δ mean over None, per target."""
    rows = ready[(ready["pooling"] == pooling) & ready["delta"].notna()]
    targets = list(dict.fromkeys(rows["target"]))
    fig, axes = plt.subplots(max(1, len(targets)), 2, squeeze=False, figsize=(9, 3.4 * max(1, len(targets))))
    for row, target in zip(axes, targets):
        g = rows[rows["target"] == target]
        for ax, (measure, name) in zip(row, (("logme", "LogME (per example)"), ("probe", "linear probe accuracy ×100"))):
            ax.scatter(g[measure], g["delta"], color="tab:blue")
            for r in g.itertuples():
                ax.annotate(r.checkpoint, (getattr(r, measure), r.delta), fontsize=7,
                            xytext=(3, 3), textcoords="offset points")
            ax.axhline(0, color="grey", lw=0.8, ls="--")
            ax.set_xlabel(name)
            ax.set_ylabel("Δ mean over None (points)")
            ax.set_title(f"{target}: {pooling}-token features, top layer", fontsize=9)
    fig.tight_layout()
    return fig
