"""Figure 2 (violins of all grid runs per intermediate-target pair) and Figure 3 (improvement
over None against the intermediate training size). Scores are drawn ×100 as in the paper."""
from __future__ import annotations

from pathlib import Path

# No matplotlib.use() here: inside a Jupyter kernel the inline backend must stay, or figures
# reach the notebook as "<Figure size ...>" text; without a display matplotlib picks Agg itself.
import matplotlib.pyplot as plt
import seaborn as sns


def figure2(runs, chance: dict, order: list | None = None, targets: list | None = None, cols: int = 4,
            floor: dict | None = None):
    """One panel per target; one violin per intermediate holding all its runs.

    `cut=0` keeps each violin inside its lowest and highest run (as matplotlib's violinplot, which
    the paper used); min / mean / best are written beside each violin; the dashed line is chance
    (0 for CoLA's MCC). `chance` maps target -> chance level on the 0-1 scale; `floor`, if given,
    maps target -> the degenerate-run threshold, drawn dotted red.
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
        _mark_diverged(ax, data, present)
        for i, name in enumerate(present):
            s = data.loc[data["intermediate"] == name, "score100"]
            for value, va in ((s.min(), "top"), (s.mean(), "center"), (s.max(), "bottom")):
                ax.annotate(f"{value:.1f}", (i + 0.3, value), fontsize=7, va=va, ha="left")
        ax.axhline(100 * chance.get(target, 0.0), ls="--", color="green", lw=1)
        if floor and target in floor:
            ax.axhline(100 * floor[target], ls=":", color="red", lw=1)
        ax.set_title(target)
        ax.set_xlabel("")
        is_mcc = "metric" in data and data["metric"].eq("mcc").any()
        ax.set_ylabel("MCC ×100" if is_mcc else "dev accuracy ×100")
        ax.tick_params(axis="x", labelrotation=20)
    for ax in list(axes.flat)[len(targets):]:
        ax.set_visible(False)
    fig.tight_layout()
    return fig


def _mark_diverged(ax, data, present: list) -> None:
    """Diverged runs (scored as their broken model's constant prediction) as red crosses on top
    of the violin they belong to, so a low tail made of failures is told apart from bad runs."""
    if "diverged" not in data:
        return
    hit = data[data["diverged"].fillna(False).astype(bool)]
    if hit.empty:
        return
    x = hit["intermediate"].map({name: i for i, name in enumerate(present)})
    ax.scatter(x, hit["score100"], marker="x", color="red", s=30, zorder=5,
               label=f"diverged ({len(hit)})")
    ax.legend(fontsize=7, loc="lower right")


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
    ticks = sorted(set(table["size"]))
    full = {size for name, size in sizes.items() if "@" not in name}  # the whole set, not a subset
    ax.set_xticks(ticks, [_size_label(s, s in full) for s in ticks])
    ax.minorticks_off()  # the log axis's own minor labels (4x10^2) would sit between ours
    ax.set_xlabel("intermediate training examples")
    ax.set_ylabel("Δ over None (×100)")
    ax.legend(fontsize=7)
    fig.tight_layout()
    return fig


def _size_label(size: int, full: bool) -> str:
    """2k, 10k, 1200; the whole set as the paper labels it: 39905 -> "40k (full)". Rounding to
    thousands only from 10k up, where it moves the label by under 5%: 1200 stays 1200."""
    exact = f"{size // 1000}k" if size % 1000 == 0 else str(size)
    if not full:
        return exact
    return (f"{round(size / 1000)}k" if size >= 10_000 else exact) + " (full)"


def loss_curves(curves, guessing: dict | None = None, col: str = "target"):
    """Training loss against optimizer step, one line per run, one panel per `col` value.

    `guessing`: {target: the loss of a uniform guess, ln(number of classes or choices)}, drawn
    dashed -- a run whose line sits on it has learned nothing (the paper's WinoGrande-XS case).
    """
    grid = sns.relplot(data=curves, x="step", y="loss", hue="intermediate", units="run_id", estimator=None,
                       kind="line", col=col, col_wrap=min(3, curves[col].nunique() or 1), height=3,
                       aspect=1.3, alpha=0.6, linewidth=0.8, facet_kws={"sharex": False, "sharey": False})
    for name, ax in grid.axes_dict.items():
        if guessing and name in guessing:
            ax.axhline(guessing[name], color="grey", linestyle="--", linewidth=1)
            ax.annotate(f"uniform guess {guessing[name]:.3f}", (1, guessing[name]), xycoords=("axes fraction", "data"),
                        xytext=(-4, 3), textcoords="offset points", ha="right", fontsize=8, color="grey")
    grid.set_axis_labels("optimizer step", "training loss")
    return grid.figure


def expected_max_curves(curves):
    """Expected best dev score against the number of configurations tried (Dodge et al., 2019).

    `curves`: target, intermediate, n, expected_max (0-1 scale); drawn ×100.
    """
    data = curves.assign(expected=100 * curves["expected_max"])
    grid = sns.relplot(data=data, x="n", y="expected", hue="intermediate", col="target", kind="line",
                       marker="o", col_wrap=min(4, data["target"].nunique() or 1), height=3, aspect=1.2,
                       facet_kws={"sharey": False})
    grid.set_axis_labels("configurations tried", "expected best ×100")
    return grid.figure


def save(fig, folder, name: str) -> list:
    """Write `name`.png and `name`.pdf under `folder`; return the paths."""
    folder = Path(folder)
    folder.mkdir(parents=True, exist_ok=True)
    paths = [folder / f"{name}.{ext}" for ext in ("png", "pdf")]
    for path in paths:
        fig.savefig(path, dpi=150, bbox_inches="tight")
    plt.close(fig)
    return paths
