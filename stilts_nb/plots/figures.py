"""Figure 3 (improvement over None against the intermediate training size), training-loss and
expected-maximum curves, and `save`. Figure 2's violins are in violins.py. Scores are drawn ×100
as in the paper."""
from __future__ import annotations

from pathlib import Path

# No matplotlib.use() here: inside a Jupyter kernel the inline backend must stay, or figures
# reach the notebook as "<Figure size ...>" text; without a display matplotlib picks Agg itself.
import matplotlib.pyplot as plt
import numpy as np
import seaborn as sns

from ..analysis.compare import configuration_differences


def improvement_by_size(deltas, sizes: dict, runs=None):
    """Figure 3: best (solid) and mean (dashed) Δ over None against intermediate training size.

    `deltas` has target, intermediate, delta_mean, delta_best; `sizes` maps intermediate -> size.
    `runs`, if given (the tidy run table), adds one dot per configuration: that run's score minus
    None's with the same lr, batch, warmup and seed, so a mean made of four runs shows as four.
    """
    # a report's table names Δ best as optimistic (reporting.tables.DELTA_BEST); the analysis's own
    # column is delta_best: either is read
    deltas = deltas.rename(columns={c: "delta_best" for c in deltas.columns if str(c).startswith("Δ best")})
    table = deltas[deltas["intermediate"].isin(sizes)].assign(size=lambda d: d["intermediate"].map(sizes))
    fig, ax = plt.subplots(figsize=(6.5, 3.8))
    colors = {target: f"C{i}" for i, target in enumerate(dict.fromkeys(table["target"]))}
    if runs is not None:
        _paired_dots(ax, configuration_differences(runs), sizes, colors)
    for target, group in table.groupby("target", sort=False):
        group = group.sort_values("size")
        ax.plot(group["size"], group["delta_best"], "-o", color=colors[target], label=f"{target} best (dev-selected, optimistic)")
        ax.plot(group["size"], group["delta_mean"], "--o", color=colors[target], label=f"{target} mean")
    ax.axhline(0, color="grey", lw=0.8, label="no change (Δ = 0)")
    ax.set_xscale("log")
    ticks = sorted(set(table["size"]))
    full = {size for name, size in sizes.items() if "@" not in name}  # the whole set, not a subset
    ax.set_xticks(ticks, [_size_label(s, s in full) for s in ticks])
    ax.minorticks_off()  # the log axis's own minor labels (4x10^2) would sit between ours
    ax.set_xlabel("intermediate training examples")
    ax.set_ylabel("Δ over None (×100)")
    ax.legend(fontsize=7, loc="upper left", bbox_to_anchor=(1.01, 1), frameon=False)  # beside, never on a line
    fig.tight_layout()
    return fig


def _paired_dots(ax, pairs, sizes: dict, colors: dict) -> None:
    """Each paired difference at its intermediate's size, spread a little sideways (by a factor,
    as the axis is logarithmic; the same spread on every call)."""
    pairs = pairs[pairs["intermediate"].isin(sizes) & pairs["target"].isin(colors)]
    spread = 10 ** np.random.default_rng(0).uniform(-0.03, 0.03, len(pairs))
    ax.scatter(pairs["intermediate"].map(sizes) * spread, pairs["diff"], s=10, lw=0, alpha=0.5, zorder=1,
               color=[colors[t] for t in pairs["target"]], label="one configuration, paired with None")


def _size_label(size: int, full: bool) -> str:
    """2k, 10k, 1200; the whole set as the paper labels it: 39905 -> "40k (full)". Rounding to
    thousands only from 10k up, where it moves the label by under 5%: 1200 stays 1200."""
    exact = f"{size // 1000}k" if size % 1000 == 0 else str(size)
    if not full:
        return exact
    return (f"{round(size / 1000)}k" if size >= 10_000 else exact) + " (full)"


def loss_curves(curves, guessing: dict | None = None, col: str = "target"):
    """Training loss against optimizer step, one line per run, one panel per `col` value; the
    panels share their loss axis (a cross-entropy means the same on every target).

    `guessing`: {target: the loss of a uniform guess, ln(number of classes or choices)}, drawn
    dashed -- a run whose line sits on it has learned nothing (the paper's WinoGrande-XS case).
    """
    grid = sns.relplot(data=curves, x="step", y="loss", hue="intermediate", units="run_id", estimator=None,
                       kind="line", col=col, col_wrap=min(3, curves[col].nunique() or 1), height=3,
                       aspect=1.3, alpha=0.6, linewidth=0.8, facet_kws={"sharex": False, "sharey": True})
    for name, ax in grid.axes_dict.items():
        if guessing and name in guessing:
            ax.axhline(guessing[name], color="grey", linestyle="--", linewidth=1)
            ax.annotate(f"uniform guess {guessing[name]:.3f}", (1, guessing[name]), xycoords=("axes fraction", "data"),
                        xytext=(-4, 3), textcoords="offset points", ha="right", fontsize=8, color="grey")
    grid.set_axis_labels("optimizer step", "training loss")
    return grid.figure


def expected_max_curves(curves):
    """Expected best dev score against the number of configurations tried (Dodge et al., 2019).

    `curves`: target, intermediate, n, expected_max (0-1 scale), and optionally metric; drawn
    ×100. Panels of one metric share their y-axis (accuracy and MCC cannot share one).
    """
    data = curves.assign(expected=100 * curves["expected_max"])
    grid = sns.relplot(data=data, x="n", y="expected", hue="intermediate", col="target", kind="line",
                       marker="o", col_wrap=min(4, data["target"].nunique() or 1), height=3, aspect=1.2,
                       facet_kws={"sharey": False})
    metrics = data.groupby("target", sort=False)["metric"].first().to_dict() if "metric" in data else {}
    _share_y_by_metric(grid.axes_dict, metrics)
    grid.set_axis_labels("configurations tried", "expected best ×100")
    return grid.figure


def _share_y_by_metric(axes: dict, metrics: dict) -> None:
    """Join the y-axes of the panels (name -> Axes) whose metric is the same, after drawing."""
    first = {}
    for name, ax in axes.items():
        metric = metrics.get(name, "accuracy")
        if metric in first:
            ax.sharey(first[metric])
        first.setdefault(metric, ax)
    for ax in first.values():  # the limits now cover every panel of the group
        ax.relim()
        ax.autoscale_view()


def save(fig, folder, name: str) -> list:
    """Write `name`.png and `name`.pdf under `folder`; return the paths."""
    folder = Path(folder)
    folder.mkdir(parents=True, exist_ok=True)
    paths = [folder / f"{name}.{ext}" for ext in ("png", "pdf")]
    for path in paths:
        fig.savefig(path, dpi=150, bbox_inches="tight")
    plt.close(fig)
    return paths
