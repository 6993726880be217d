"""The figures as a reader sees them, checked on the drawn matplotlib objects: panels compared
share their y-axis, the floor band stands where the dev set puts it, every run is a dot, no two
labels run into each other, and the index's thumbnails can be read."""
import base64
import io
import itertools
import math

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402
import nbformat  # noqa: E402
import numpy as np  # noqa: E402
import pandas as pd  # noqa: E402
import pytest  # noqa: E402

from stilts_nb.plots import expected_max_curves, figure2, improvement_by_size, loss_curves  # noqa: E402
from stilts_nb.plots.violins import wrap  # noqa: E402
from stilts_nb.reporting import reports  # noqa: E402

GRID = list(itertools.product([1e-5, 2e-5], [16], [0.0], [12, 42]))  # 4 configurations: few runs
LONG_NAMES = ["none", "synthesis-p@300", "hellaswag-p@1200", "hella-sh", "synthesis"]
DEV = {"rte": (0.527, 277), "wic": (0.5, 638), "cola": (0.0, 1043)}  # floor (0-1), dev examples


def runs_table(targets=("rte", "wic", "cola"), intermediates=("none", "synthesis"), recorded=True):
    rng = np.random.default_rng(1)
    rows = []
    for target, inter in itertools.product(targets, intermediates):
        for k, (lr, bs, wu, seed) in enumerate(GRID):
            metric = "mcc" if target == "cola" else "accuracy"
            score = (0.2 if metric == "mcc" else 0.6) + 0.01 * k + rng.normal(0, 0.01)
            row = {"target": target, "intermediate": inter, "lr": lr, "batch_size": bs, "warmup_ratio": wu,
                   "seed": seed, "score": score, "metric": metric, "run_id": f"{target}-{inter}-{k}"}
            if recorded:
                row.update(floor=DEV[target][0], dev_examples=DEV[target][1])
            rows.append(row)
    return pd.DataFrame(rows)


def panels(fig) -> dict:
    """Target -> its Axes (titles read 'rte (dev n = 277)')."""
    return {ax.get_title().split(" ")[0]: ax for ax in fig.axes if ax.get_visible() and ax.get_title()}


def data_extent(ax, artist) -> tuple:
    """(low, high) of a drawn artist on the y-axis, in data units."""
    box = artist.get_window_extent(ax.figure.canvas.get_renderer())
    (_, low), (_, high) = ax.transData.inverted().transform([[box.x0, box.y0], [box.x1, box.y1]])
    return low, high


@pytest.fixture(autouse=True)
def close_figures():
    yield
    plt.close("all")


def test_panels_of_one_metric_share_their_y_axis_and_mcc_has_its_own():
    fig = figure2(runs_table(("cola", "rte", "wic")), {"rte": 0.5, "wic": 0.5, "cola": 0.0})
    fig.canvas.draw()
    p = panels(fig)
    assert list(p) == ["rte", "wic", "cola"]  # accuracy panels side by side, MCC after them
    assert p["rte"].get_shared_y_axes().joined(p["rte"], p["wic"])
    assert p["rte"].get_ylim() == p["wic"].get_ylim()
    assert not p["rte"].get_shared_y_axes().joined(p["rte"], p["cola"])
    assert p["cola"].get_ylabel() == "MCC ×100" and p["rte"].get_ylabel() == "dev accuracy ×100"
    assert p["wic"].get_ylabel() == ""  # its left neighbour labels the shared axis


@pytest.mark.parametrize("target", ["rte", "wic", "cola"])
def test_the_floor_band_is_two_standard_errors_on_the_dev_set(target):
    fig = figure2(runs_table(), {"rte": 0.5, "wic": 0.5, "cola": 0.0})
    fig.canvas.draw()
    ax = panels(fig)[target]
    floor, n = DEV[target]
    se = 100 / math.sqrt(n) if target == "cola" else 100 * math.sqrt(floor * (1 - floor) / n)
    band = next(p for p in ax.patches if p.get_label() == "floor band")
    assert data_extent(ax, band) == pytest.approx((100 * floor - 2 * se, 100 * floor + 2 * se), abs=0.05)
    line = next(li for li in ax.lines if li.get_label() == "floor")
    assert list(line.get_ydata()) == pytest.approx([100 * floor] * 2)
    low, high = ax.get_ylim()
    assert low <= 100 * floor - 2 * se and high >= 100 * floor + 2 * se  # the band is in view


def test_without_recorded_floors_the_chance_level_and_given_dev_sizes_are_used():
    runs = runs_table(("rte",), recorded=False)
    fig = figure2(runs, {"rte": 0.5}, dev_sizes={"rte": 100})
    fig.canvas.draw()
    ax = panels(fig)["rte"]
    band = next(p for p in ax.patches if p.get_label() == "floor band")
    assert data_extent(ax, band) == pytest.approx((40.0, 60.0), abs=0.05)  # 50 ± 2 * 5
    bare = panels(figure2(runs, {"rte": 0.5}))["rte"]  # no dev size known: the line, no band
    assert not [p for p in bare.patches if p.get_label() == "floor band"]
    assert [li for li in bare.lines if li.get_label() == "floor"]


def test_every_run_is_one_dot():
    runs = runs_table(intermediates=LONG_NAMES)
    fig = figure2(runs, {}, order=LONG_NAMES)
    for target, ax in panels(fig).items():
        dots = [c for c in ax.collections if c.get_label() == "runs"]
        assert len(dots) == 1 and len(dots[0].get_offsets()) == (runs["target"] == target).sum()
        xs = dots[0].get_offsets()[:, 0]
        assert np.all(np.abs(xs - np.round(xs)) <= 0.2)  # each beside its own violin
        assert len({tuple(p) for p in dots[0].get_offsets()}) == len(xs)  # no dot hides another


def test_runs_with_the_same_score_are_still_two_dots():
    runs = runs_table(("rte",)).assign(score=0.6)
    dots = next(c for c in panels(figure2(runs, {})).popitem()[1].collections if c.get_label() == "runs")
    assert len({tuple(p) for p in dots.get_offsets()}) == len(runs)


def test_tick_labels_carry_min_mean_best_and_no_two_texts_overlap():
    runs = runs_table(intermediates=LONG_NAMES)
    fig = figure2(runs, {}, order=LONG_NAMES, cols=2, floor={"rte": 0.6})
    fig.canvas.draw()
    renderer = fig.canvas.get_renderer()
    ax = panels(fig)["rte"]
    label = ax.get_xticklabels()[1].get_text()
    scores = 100 * runs.loc[(runs.target == "rte") & (runs.intermediate == "synthesis-p@300"), "score"]
    assert label.startswith("synthesis-p\n@300\n4 runs")
    # best is starred, and the panel's axis label says the star means dev-selected, optimistic
    assert f"best* {scores.max():.1f}" in label and f"mean {scores.mean():.1f}" in label
    assert ax.get_xlabel() == "* best: dev-selected, optimistic"
    assert f"min {scores.min():.1f}" in label
    texts = [t for a in panels(fig).values() for t in [a.title, a.xaxis.label, a.yaxis.label, *a.get_xticklabels(),
                                                      *a.get_yticklabels()] if t.get_visible() and t.get_text()]
    texts += fig.legends[0].get_texts()
    boxes = [t.get_window_extent(renderer) for t in texts]
    clashes = [(texts[i].get_text(), texts[j].get_text()) for i, j in itertools.combinations(range(len(boxes)), 2)
               if boxes[i].overlaps(boxes[j])]
    assert not clashes


def test_a_stand_in_says_what_it_stands_in_for_under_its_name():
    names = ["none", "socialiqa@2000", "socialiqa-p@2000", "synthesis"]
    fig = figure2(runs_table(targets=("wic",), intermediates=names), {}, order=names)
    labels = [t.get_text() for t in panels(fig)["wic"].get_xticklabels()]
    assert labels[1].startswith("socialiqa\n@2000\n(for HellaSwag)\n4 runs")
    assert labels[2].startswith("socialiqa-p\n@2000\n(for HellaSwag-p)\n")
    assert "(for" not in labels[0] + labels[3]  # None and the paper's own Synthesis: no label


def test_names_wrap_at_their_separators():
    assert wrap("synthesis-p@300") == "synthesis-p\n@300"
    assert wrap("none") == "none"
    assert wrap("winogrande_xs-p@10000") == "winogrande_\nxs-p@10000"


def test_figure3_shows_each_paired_difference_and_the_zero_line():
    runs = runs_table(("rte",), ("none", "a@300", "a"))
    d = pd.DataFrame({"target": "rte", "intermediate": ["a@300", "a"], "delta_mean": [1.0, 2.0],
                      "delta_best": [1.5, 2.5]})
    ax = improvement_by_size(d, {"a@300": 300, "a": 1200}, runs=runs).axes[0]
    dots = next(c for c in ax.collections if c.get_label().startswith("one configuration"))
    assert len(dots.get_offsets()) == 2 * len(GRID)  # every configuration of both sizes, paired with None
    paired = runs.pivot_table(index=["lr", "seed"], columns="intermediate", values="score")
    expected = sorted(100 * (paired["a@300"] - paired["none"])) + sorted(100 * (paired["a"] - paired["none"]))
    got = dots.get_offsets()
    assert sorted(got[got[:, 0] < 600, 1]) + sorted(got[got[:, 0] > 600, 1]) == pytest.approx(expected)
    zero = [li for li in ax.lines if li.get_label().startswith("no change")]
    assert zero and list(zero[0].get_ydata()) == [0, 0]
    assert len(improvement_by_size(d, {"a@300": 300, "a": 1200}).axes[0].collections) == 0  # without runs


def test_loss_panels_share_their_y_axis():
    curves = pd.DataFrame({"target": ["a"] * 3 + ["b"] * 3, "intermediate": "none", "run_id": ["r1"] * 3 + ["r2"] * 3,
                           "step": [1, 2, 3] * 2, "loss": [0.7, 0.6, 0.5, 1.4, 1.3, 1.2]})
    fig = loss_curves(curves, {"a": math.log(2), "b": math.log(4)})
    first, second = fig.axes[:2]
    assert first.get_ylim() == second.get_ylim()


def test_expected_max_panels_share_y_within_a_metric():
    from stilts_nb.reporting import tables

    fig = expected_max_curves(tables.expected_max_table(runs_table(("rte", "cola", "wic"))))
    fig.canvas.draw()
    p = {ax.get_title().split(" = ")[-1]: ax for ax in fig.axes}
    assert p["rte"].get_shared_y_axes().joined(p["rte"], p["wic"]) and p["rte"].get_ylim() == p["wic"].get_ylim()
    assert not p["rte"].get_shared_y_axes().joined(p["rte"], p["cola"])
    assert p["cola"].get_ylim()[1] < 30 < p["rte"].get_ylim()[0]  # each group's limits fit its own data


def wide_figure_png() -> str:
    fig = figure2(runs_table(intermediates=LONG_NAMES), {}, order=LONG_NAMES)
    buffer = io.BytesIO()
    fig.savefig(buffer, format="png", dpi=100, bbox_inches="tight")
    return base64.b64encode(buffer.getvalue()).decode()


def test_a_thumbnail_is_wide_and_its_text_not_shrunk_past_legible(tmp_path):
    from PIL import Image

    png = wide_figure_png()
    source = Image.open(io.BytesIO(base64.b64decode(png)))
    assert source.width > reports.THUMB_WIDTH / reports.LEGIBLE_SCALE  # too wide to shrink whole
    thumb = Image.open(io.BytesIO(reports._thumbnail(png, tmp_path / "t.png")))
    assert reports.THUMB_WIDTH >= 480 and thumb.width == reports.THUMB_WIDTH
    assert thumb.height / source.height >= reports.LEGIBLE_SCALE - 0.01  # shrunk no further
    assert Image.open(tmp_path / "t.png").size == thumb.size
    cut = reports._cut(source.convert("RGBA"), round(reports.THUMB_WIDTH / reports.LEGIBLE_SCALE))
    column = np.asarray(source.convert("RGBA"))[:, cut - 1]
    assert ((column[:, 3] == 0) | (column[:, :3].min(axis=1) >= 250)).all()  # cut in a blank gap


def test_the_index_shows_each_figure_at_thumbnail_width(tmp_path):
    from PIL import Image

    book = nbformat.v4.new_notebook(cells=[
        nbformat.v4.new_markdown_cell("# 01 · A report"),
        nbformat.v4.new_code_cell("display(fig)", outputs=[nbformat.v4.new_output(
            "display_data", data={"image/png": wide_figure_png(), "text/plain": "<Figure>"})])])
    nbformat.write(book, tmp_path / "01_a.ipynb")
    reports.write_index(tmp_path, tmp_path, ("01_a",), store=tmp_path / "none.sqlite")
    assert Image.open(tmp_path / "thumbnails" / "01_a.png").width == reports.THUMB_WIDTH
    page = (tmp_path / "index.html").read_text()
    assert f"width: {reports.THUMB_WIDTH}px" in page and '<a href="01_a.html"><img src="data:image/png' in page
