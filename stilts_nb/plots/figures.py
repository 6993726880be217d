"""Figure 2 (violins of all grid runs per intermediate-target pair) and Figure 3 (improvement
over None against the intermediate training size). Scores are drawn ×100 as in the paper."""
from __future__ import annotations

from pathlib import Path

import matplotlib

matplotlib.use("Agg")  # headless: papermill and CI have no display
import matplotlib.pyplot as plt  # noqa: E402
import seaborn as sns  # noqa: E402


def figure2(runs, chance: dict, order: list | None = None, targets: list | None = None, cols: int = 4):
    """One panel per target; one violin per intermediate holding all its runs.

    `cut=0` keeps each violin inside its lowest and highest run (as matplotlib's violinplot, which
    the paper used); min / mean / best are written beside each violin; the dashed line is chance
    (0 for CoLA's MCC). `chance` maps target -> chance level on the 0-1 scale.
    """
    targets = targets or list(dict.fromkeys(runs["target"]))
    order = order or list(dict.fromkeys(runs["intermediate"]))
    rows = -(-len(targets) // cols)
    fig, axes = plt.subplots(rows, min(cols, len(targets)), figsize=(4.2 * min(cols, len(targets)), 3.6 * rows),
                             squeeze=False)
    for ax, target in zip(axes.flat, targets):
        data = runs[runs["target"] == target].assign(score100=lambda d: 100 * d["score"])
        present = [o for o in order if o in set(data["intermediate"])]
        sns.violinplot(data=data, x="intermediate", y="score100", order=present, cut=0, inner=None,
                       color="#a6cee3", linewidth=0.8, density_norm="width", ax=ax)
        sns.stripplot(data=data, x="intermediate", y="score100", order=present, size=2.5, color="#1f4e79",
                      alpha=0.6, jitter=0.12, ax=ax)
        for i, name in enumerate(present):
            s = data.loc[data["intermediate"] == name, "score100"]
            for value, va in ((s.min(), "top"), (s.mean(), "center"), (s.max(), "bottom")):
                ax.annotate(f"{value:.1f}", (i + 0.3, value), fontsize=7, va=va, ha="left")
        ax.axhline(100 * chance.get(target, 0.0), ls="--", color="green", lw=1)
        ax.set_title(target)
        ax.set_xlabel("")
        is_mcc = "metric" in data and data["metric"].eq("mcc").any()
        ax.set_ylabel("MCC ×100" if is_mcc else "dev accuracy ×100")
        ax.tick_params(axis="x", labelrotation=20)
    for ax in list(axes.flat)[len(targets):]:
        ax.set_visible(False)
    fig.tight_layout()
    return fig


def improvement_by_size(deltas, sizes: dict):
    """Figure 3: best (solid) and mean (dashed) Δ over None against intermediate training size.

    `deltas` has target, intermediate, delta_mean, delta_best; `sizes` maps intermediate -> size.
    """
    table = deltas[deltas["intermediate"].isin(sizes)].assign(size=lambda d: d["intermediate"].map(sizes))
    fig, ax = plt.subplots(figsize=(5, 3.6))
    for i, (target, group) in enumerate(table.groupby("target", sort=False)):
        group = group.sort_values("size")
        color = f"C{i}"
        ax.plot(group["size"], group["delta_best"], "-o", color=color, label=f"{target} best")
        ax.plot(group["size"], group["delta_mean"], "--o", color=color, label=f"{target} mean")
    ax.axhline(0, color="grey", lw=0.8)
    ax.set_xscale("log")
    ax.set_xticks(sorted(set(table["size"])), [f"{s // 1000}k" if s >= 1000 else str(s) for s in sorted(set(table["size"]))])
    ax.set_xlabel("intermediate training examples")
    ax.set_ylabel("Δ over None (×100)")
    ax.legend(fontsize=7)
    fig.tight_layout()
    return fig


def save(fig, folder, name: str) -> list:
    """Write `name`.png and `name`.pdf under `folder`; return the paths."""
    folder = Path(folder)
    folder.mkdir(parents=True, exist_ok=True)
    paths = [folder / f"{name}.{ext}" for ext in ("png", "pdf")]
    for path in paths:
        fig.savefig(path, dpi=150, bbox_inches="tight")
    plt.close(fig)
    return paths
