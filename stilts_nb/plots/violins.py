"""Violins of every grid run per intermediate, one panel per target: the paper's Figure 2, and the
violins of notebooks 02, 03 and 06. What a reader compares on them, and how each is drawn so:

- panels of one metric share their y-axis, so a violin is compared with another target's by eye
  and not by reading two scales; accuracy and MCC cannot share one, so the MCC panels come after
  the accuracy panels, on an axis of their own;
- the floor (the score of always giving the most common answer of the dev examples scored, 0 for
  MCC) is a dashed line inside a band of ±2 standard errors of a score at the floor on that many
  examples: a violin inside the band cannot be told from the floor on this dev set;
- every run is a dot: a grid of four runs drawn as a violin alone looks like a distribution;
- min / mean / best are printed under each violin's name, as its tick label, where they cannot
  run into each other, into the violin or into a neighbour's label (`_fit_tick_labels`).
"""
from __future__ import annotations

import re

import matplotlib.pyplot as plt
import numpy as np
import seaborn as sns
from matplotlib.lines import Line2D
from matplotlib.patches import Patch

from ..analysis.verdicts import dev_se
from ..wording import stand_in_for

BAND_SES = 2.0        # the band's half-width in standard errors of a score at the floor
NAME_CHARS = 12       # an intermediate's name is wrapped (at @, - or _) into lines this long
TICK_FONT = 7
RUN_COLOR = "#08306b"
BAND_COLOR = "#969696"
FLOOR_LABEL = "floor: most common answer's share of the dev set (0 for MCC)"
BAND_LABEL = f"floor ± {BAND_SES:g} standard errors on the dev examples scored"


def figure2(runs, chance: dict, order: list | None = None, targets: list | None = None, cols: int = 4,
            floor: dict | None = None, dev_sizes: dict | None = None):
    """One panel per target; one violin per intermediate holding all its runs, each run a dot.

    `cut=0` keeps each violin inside its lowest and highest run (as matplotlib's violinplot, which
    the paper used). The floor and the dev-set size come from what the runs recorded (the columns
    ``floor`` and ``dev_examples``); a run table without them falls back to `chance` (target ->
    chance level, 0-1) and to `dev_sizes` (target -> dev examples; without it no band is drawn).
    `floor`, if given, maps target -> the degenerate-run threshold (0-1), drawn dotted red.
    """
    targets = targets or list(dict.fromkeys(runs["target"]))
    metrics = {t: _metric(runs[runs["target"] == t]) for t in targets}
    targets = sorted(targets, key=lambda t: metrics[t] == "mcc")  # stable: accuracy panels first
    order = order or list(dict.fromkeys(runs["intermediate"]))
    ncols = min(cols, len(targets))
    rows = -(-len(targets) // ncols)
    width = 0.9 + max(2.4, 0.85 * len(order))  # inches a panel; _fit_tick_labels widens if need be
    fig, axes = plt.subplots(rows, ncols, figsize=(width * ncols, 4.4 * rows), squeeze=False)
    shared = {}  # metric -> the panel every other panel of that metric shares its y-axis with
    for ax, target in zip(axes.flat, targets):
        if metrics[target] in shared:
            ax.sharey(shared[metrics[target]])
        shared.setdefault(metrics[target], ax)
        data = runs[runs["target"] == target].assign(score100=lambda d: 100 * d["score"])
        _panel(ax, data, target, [o for o in order if o in set(data["intermediate"])], metrics[target],
               _floor(data, target, chance), _dev_size(data, target, dev_sizes or {}))
        if floor and target in floor:
            ax.axhline(100 * floor[target], ls=":", color="red", lw=1, label="degenerate threshold")
    for ax in list(axes.flat)[len(targets):]:
        ax.set_visible(False)
    _label_y_once_per_row(axes, [metrics[t] for t in targets])
    _legend(fig, axes, threshold=bool(floor))
    fig.tight_layout()
    _fit_tick_labels(fig, [ax for ax in axes.flat if ax.get_visible()])
    return fig


def _panel(ax, data, target: str, present: list, metric: str, floor: float, n: int | None) -> None:
    sns.violinplot(data=data, x="intermediate", y="score100", order=present, cut=0, inner=None,
                   color="#c6dbef", linewidth=0.8, density_norm="width", ax=ax)
    _floor_band(ax, floor, n, metric)
    _runs_as_dots(ax, data, present)
    _mark_diverged(ax, data, present)
    ax.set_xticks(range(len(present)), [_tick_label(name, data) for name in present], fontsize=TICK_FONT)
    ax.set_title(target if n is None else f"{target} (dev n = {n})")
    ax.set_xlabel(BEST_FOOTNOTE, fontsize=TICK_FONT)  # what the tick labels' "best*" means
    ax.set_ylabel("MCC ×100" if metric == "mcc" else "dev accuracy ×100")


def _floor_band(ax, floor: float, n: int | None, metric: str) -> None:
    """The floor's line, and around it ±BAND_SES standard errors of a score at the floor on n
    examples (sqrt(p(1-p)/n) for accuracy, 1/sqrt(n) for MCC: analysis.verdicts.dev_se)."""
    if n:
        half = BAND_SES * dev_se(floor, n, metric)
        ax.axhspan(100 * floor - half, 100 * floor + half, color=BAND_COLOR, alpha=0.25, lw=0, zorder=0,
                   label="floor band")
    ax.axhline(100 * floor, ls="--", color=BAND_COLOR, lw=1, zorder=1, label="floor")


def _runs_as_dots(ax, data, present: list, spread: float = 0.18) -> None:
    """One dot per run, the runs of a violin spaced evenly across ±`spread` in the order they
    come: two runs with the same score still show as two dots, and a report rebuilt from the same
    runs draws the same picture (no random jitter)."""
    position = data["intermediate"].map({name: i for i, name in enumerate(present)})
    rank = data.groupby("intermediate", sort=False).cumcount()
    count = data.groupby("intermediate", sort=False)["score100"].transform("size")
    offset = np.where(count > 1, spread * (2 * rank / (count - 1).clip(lower=1) - 1), 0.0)
    ax.scatter(position + offset, data["score100"], s=10, color=RUN_COLOR, alpha=0.75, lw=0, zorder=3,
               label="runs")


def _mark_diverged(ax, data, present: list) -> None:
    """Diverged runs (scored as their broken model's constant prediction) as red crosses on top
    of the violin they belong to, so a low tail made of failures is told apart from bad runs."""
    if "diverged" not in data:
        return
    hit = data[data["diverged"].fillna(False).astype(bool)]
    if hit.empty:
        return
    x = hit["intermediate"].map({name: i for i, name in enumerate(present)})
    ax.scatter(x, hit["score100"], marker="x", color="red", s=30, zorder=5, label=f"diverged ({len(hit)})")


# the best run of a violin is picked on the dev set it is scored on (reporting.tables.BEST)
BEST_FOOTNOTE = "* best: dev-selected, optimistic"


def _tick_label(name: str, data) -> str:
    """The intermediate's name (wrapped), what it stands in for (an offline stand-in is never
    shown as the paper's task), its number of runs and its best / mean / min."""
    from ..tasks import get_task

    s = data.loc[data["intermediate"] == name, "score100"]
    instead = stand_in_for(name)
    role = f"\n(for {get_task(instead).title})" if instead else ""
    return (f"{wrap(name)}{role}\n{len(s)} runs\nbest* {s.max():.1f}\nmean {s.mean():.1f}\nmin {s.min():.1f}")


def wrap(name: str, width: int = NAME_CHARS) -> str:
    """'synthesis-p@300' -> 'synthesis-p\\n@300': lines of at most `width` characters, broken
    before an @ or after a - or _ (a part longer than `width` stays whole)."""
    lines = [""]
    for part in re.split(r"(?=@)|(?<=[-_])", name):
        if lines[-1] and len(lines[-1]) + len(part) > width:
            lines.append("")
        lines[-1] += part
    return "\n".join(lines)


def _metric(data) -> str:
    return "mcc" if "metric" in data and data["metric"].eq("mcc").any() else "accuracy"


def _floor(data, target: str, chance: dict) -> float:
    """0-1: the floor the runs recorded (the most common answer's share of the dev examples they
    were scored on), else the caller's chance level."""
    recorded = _recorded(data, "floor")
    return float(recorded) if recorded is not None else chance.get(target, 0.0)


def _dev_size(data, target: str, dev_sizes: dict) -> int | None:
    if target in dev_sizes:
        return int(dev_sizes[target])
    recorded = _recorded(data, "dev_examples")
    return None if recorded is None else int(recorded)


def _recorded(data, column: str):
    """The value most of a target's runs recorded in `column` (one, unless limits changed), or None."""
    if column not in data or data[column].isna().all():
        return None
    return data[column].dropna().mode().iloc[0]


def _label_y_once_per_row(axes, metrics: list) -> None:
    """A panel sharing its left neighbour's axis repeats neither its tick labels nor its label."""
    flat = list(axes.flat)
    cols = axes.shape[1]
    for i, metric in enumerate(metrics):
        if i % cols and metrics[i - 1] == metric:
            flat[i].tick_params(labelleft=False)
            flat[i].set_ylabel("")


def _legend(fig, axes, threshold: bool) -> None:
    """One legend for the figure, one entry a line above its top-left corner: a thumbnail cut to
    the first panel keeps all of it."""
    handles = [Line2D([], [], ls="", marker="o", ms=4, color=RUN_COLOR, label="one run"),
               Line2D([], [], ls="--", color=BAND_COLOR, label=FLOOR_LABEL),
               Patch(color=BAND_COLOR, alpha=0.25, label=BAND_LABEL)]
    if threshold:
        handles.append(Line2D([], [], ls=":", color="red", label="degenerate threshold (floor + margin)"))
    crosses = [c for ax in axes.flat for c in ax.collections if c.get_label().startswith("diverged")]
    if crosses:
        total = sum(len(c.get_offsets()) for c in crosses)
        handles.append(Line2D([], [], ls="", marker="x", color="red", label=f"diverged run ({total})"))
    fig.legend(handles=handles, loc="lower left", bbox_to_anchor=(0, 1), fontsize=8, frameon=False)


def _fit_tick_labels(fig, axes: list, gap_px: float = 4.0) -> None:
    """Widen the figure until no two tick labels of a panel touch: the labels are measured as
    drawn, not estimated, so a long intermediate name cannot run into its neighbour."""
    for _ in range(3):
        fig.canvas.draw()
        need = max((_crowding(ax, gap_px) for ax in axes), default=1.0)
        if need <= 1.0:
            return
        fig.set_figwidth(fig.get_figwidth() * need * 1.05)
        fig.tight_layout()


def _crowding(ax, gap_px: float) -> float:
    """How many times wider the spacing of the panel's ticks must be for its labels to fit."""
    boxes = sorted((t.get_window_extent() for t in ax.get_xticklabels() if t.get_text()), key=lambda b: b.x0)
    if len(boxes) < 2:
        return 1.0
    spacing = (boxes[-1].x0 + boxes[-1].x1 - boxes[0].x0 - boxes[0].x1) / 2 / (len(boxes) - 1)
    widest = max(b.width for b in boxes)
    return (widest + gap_px) / spacing if spacing > 0 else 1.0
