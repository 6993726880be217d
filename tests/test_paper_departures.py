"""The last departures from the authors, closed or made explicit (issue 17, items 3-7): the
multiple-choice floor, the paper profile's HellaSwag batch, TF32 and generator precision, and
the kernel family every run and report records."""
import json
import math

import pandas as pd
import pytest
import yaml

from conftest import REPO
from stilts_nb.analysis import near_floor_rate
from stilts_nb.errors import UserError
from stilts_nb.sweeps import load_sweep, parse_sweep, results, run_sweep
from stilts_nb.tasks import floor_standard_error, get_task, majority_share
from stilts_nb import hardware
from stilts_nb.hardware import Capabilities
from stilts_nb.training import evaluate
from test_sweeps_common import FakeTrain, sweep_dict

PAPER = REPO / "parameters" / "paper"


# --- 3. the floor of multiple choice is its most common answer --------------------------------
@pytest.mark.parametrize("task, counts", [
    ("winogrande_xs", {0: 628, 1: 639}),          # WinoGrande dev: option 2 right 639 of 1267 times
    ("socialiqa", {0: 645, 1: 652, 2: 657}),      # SocialIQA dev: answer C 657 of 1954 times
])
def test_always_the_most_common_answer_is_degenerate(task, counts):
    labels = [c for c, n in counts.items() for _ in range(n)]
    floor = evaluate.baseline(get_task(task), labels)
    assert floor == pytest.approx(max(counts.values()) / len(labels))
    constant = max(counts, key=counts.get)
    score = evaluate.score("accuracy", [constant] * len(labels), labels)
    assert score <= floor  # the loop's rule: degenerate = score <= baseline
    assert floor > get_task(task).chance


def test_mcc_floor_stays_zero_and_classification_keeps_its_majority():
    assert majority_share(get_task("cola"), [1, 1, 1, 0]) == 0.0
    assert majority_share(get_task("rte"), [1, 1, 1, 0]) == 0.75


def test_near_floor_margin_is_the_dev_sets_standard_error():
    wino = floor_standard_error(get_task("winogrande_xs"), 639 / 1267, 1267)
    assert wino == pytest.approx(math.sqrt(639 / 1267 * 628 / 1267 / 1267)) and 0.014 < wino < 0.0141
    assert floor_standard_error(get_task("cola"), 0.0, 1043) == pytest.approx(1 / math.sqrt(1043))
    runs = pd.DataFrame({"target": ["rte", "rte", "wic"], "intermediate": ["none"] * 3,
                         "score": [0.54, 0.56, 0.52], "diverged": [False] * 3})
    rate = near_floor_rate(runs, {"rte": 0.527, "wic": 0.5}, {"rte": 0.02, "wic": 0.01})
    assert rate.set_index("target")["near_floor"].to_dict() == {"rte": 1, "wic": 0}
    for profile in ("smoke", "demo", "paper"):
        values = yaml.safe_load((REPO / "parameters" / profile / "06_stability.yaml").read_text())
        assert "margin" not in values and values["margin_se"] == 1.0


# --- 5, 6. the paper profile: HellaSwag's effective batch, TF32 --------------------------------
def paper_sweeps():
    yield load_sweep(REPO / "parameters" / "sweeps" / "paper.yaml")
    for name in ("01_baselines", "03_target_size"):
        yield parse_sweep(yaml.safe_load((PAPER / f"{name}.yaml").read_text())["sweep"], name)


@pytest.mark.parametrize("sweep", list(paper_sweeps()), ids=lambda s: s.name)
def test_the_paper_profile_trains_hellaswag_with_the_authors_batch(sweep):
    assert sweep.intermediate_grid(get_task("hellaswag"))["batch_size"] == 8      # train_hella.sh
    assert sweep.intermediate_grid(get_task("hellaswag-p"))["batch_size"] == 16   # train_hella-p.sh
    assert sweep.run_setting("tf32") is True


def test_every_paper_notebook_sweep_runs_tf32():
    for path in sorted(PAPER.glob("0[1-4]_*.yaml")):
        assert yaml.safe_load(path.read_text())["sweep"]["tf32"] is True, path.name


def test_an_intermediate_batch_is_in_the_intermediate_runs_identity(rte_dir):
    from stilts_nb.sweeps import expand

    over = dict(intermediates=["none", "rte"], task_settings={"rte": {"batch_size": 4}})
    plan = expand(parse_sweep(sweep_dict(rte_dir, **over), "t.yaml"))
    (inter,) = [r for r in plan.runs if r.role == "intermediate"]
    assert inter.config["batch_size"] == 4 and inter.identity["batch_size"] == 4
    assert {r.config["batch_size"] for r in plan.runs if r.role == "target"} == {8}  # the grid's


def test_a_grid_value_for_a_task_that_is_only_a_target_is_refused(rte_dir):
    with pytest.raises(UserError, match="task_settings.rte.batch_size': a grid value in task_settings sets"):
        parse_sweep(sweep_dict(rte_dir, task_settings={"rte": {"batch_size": 4}}), "t.yaml")


# --- 4. the generator's precision ---------------------------------------------------------------
def test_the_generator_precision_is_a_setting_the_paper_sets_to_fp32(monkeypatch, tmp_path, capsys):
    from stilts_nb import synthesis
    from stilts_nb.reporting import synthesis_views

    assert yaml.safe_load((PAPER / "00_synthesis.yaml").read_text())["generator_precision"] == "fp32"
    asked = {}

    def fake_build(config, out, progress):
        asked["dtype"] = config.dtype
        return {"config": {"dtype": "float32"}, "environment": {"kernel": "AVX2"}}

    monkeypatch.setattr(synthesis, "build", fake_build)
    synthesis_views.build_synthesis("gensim-enwiki", "tiny:causal-lm", 4, 2, 42, 2,
                                    str(tmp_path / "s.jsonl"), generator_precision="fp32")
    assert asked == {"dtype": "fp32"}
    assert capsys.readouterr().out.strip() == "generator precision: fp32 (AVX2)"


# --- 7. the kernel family ---------------------------------------------------------------------
@pytest.mark.parametrize("caps, family", [
    (Capabilities(cpu_flags=frozenset({"avx", "avx2", "fma"})), "AVX2"),
    (Capabilities(cpu_flags=frozenset({"avx2", "avx512f"})), "AVX512"),
    (Capabilities(cpu_flags=frozenset({"avx2", "avx512f", "avx512_bf16"})), "AVX512-BF16"),
    (Capabilities(cpu_flags=frozenset({"avx2", "avx512f", "avx512_bf16", "amx_bf16"})), "AMX"),
    (Capabilities(cuda=True, cuda_name="NVIDIA H200", cuda_capability="90"), "cuda NVIDIA H200 sm_90"),
])
def test_the_kernel_family_is_named_from_what_the_machine_reports(caps, family):
    assert hardware.kernel_family(caps) == family


def test_the_store_shows_each_runs_kernel_and_the_report_line_says_it(tmp_path, rte_dir, monkeypatch):
    from stilts_nb.reporting.planning import run_precision_line

    plain = FakeTrain()
    monkeypatch.setattr("stilts_nb.sweeps.executors.train_run",
                        lambda cfg: {**plain(cfg), "kernel": "AVX512-BF16", "precision": "bf16"})
    store = tmp_path / "st.sqlite"
    run_sweep(parse_sweep(sweep_dict(rte_dir), "t.yaml"), store, progress=False)
    df = results(store)
    assert list(df["kernel"]) == ["AVX512-BF16"] * 2
    assert run_precision_line(df.assign(device="cpu")) == "precision: fp32 (AVX512-BF16); device: cpu"
    assert "kernel unrecorded" in run_precision_line(df.assign(kernel=None, device="cpu"))


def test_reports_head_says_which_kernels_ran_them():
    from stilts_nb.reporting import prose

    text = prose.parameters("smoke", "06_stability", {"margin_se": 1.0}).data
    assert text.endswith(f"Executed on: **{hardware.kernel_family()}** matrix kernels.")


def test_the_kernel_is_in_a_trained_runs_metrics(tmp_path):
    from stilts_nb.tasks import samples
    from stilts_nb.training import TrainConfig, train

    data = samples.write(tmp_path / "data", {"rte": (16, 8)})
    m = train(TrainConfig(task="rte", model="tiny:bert", lr=1e-3, batch_size=8, warmup_ratio=0.0,
                          seed=1, epochs=1, progress=False, data_dir=str(data)))
    assert m.kernel == hardware.kernel_family() and json.dumps(m.kernel)


def test_the_index_shows_each_reports_precision_and_kernels(tmp_path):
    import nbformat

    from stilts_nb.reporting.reports import write_index

    book = nbformat.v4.new_notebook()
    cell = nbformat.v4.new_code_cell("build()")
    cell.outputs = [nbformat.v4.new_output("stream", name="stdout", text="generator precision: fp32 (AVX2)\n"),
                    nbformat.v4.new_output("stream", name="stdout",
                                           text="precision: bf16 (AMX); device: cpu x2 threads\n")]
    book.cells = [nbformat.v4.new_markdown_cell("# 00 · Building"), cell]
    nbformat.write(book, tmp_path / "00_synthesis.ipynb")
    index_md = write_index(tmp_path, tmp_path, ("00_synthesis",), store=tmp_path / "none.sqlite")[1]
    assert "no store · generator precision: fp32 (AVX2) · precision: bf16 (AMX) · execution time unknown" \
        in index_md.read_text()


def test_every_setting_the_departures_table_names_exists():
    """docs/departures.md: each row's last column names a setting a user can actually set."""
    import re

    from stilts_nb.settings import SETTINGS
    from stilts_nb.sweeps.config import TOP

    known = set(SETTINGS) | set(TOP)
    for profile_file in ("00_synthesis", "06_stability"):
        known |= set(yaml.safe_load((PAPER / f"{profile_file}.yaml").read_text()))
    rows = [line for line in (REPO / "docs" / "departures.md").read_text().splitlines()
            if line.startswith("| ") and not line.startswith("| what") and "---" not in line]
    assert len(rows) >= 25
    for row in rows:
        setting = row.rstrip(" |").rsplit("|", 1)[1]
        names = re.findall(r"`([a-z_0-9]+)[`:=]", setting)
        if setting.strip().startswith(("none", "the profile")):
            continue  # nothing switches it (or the whole profile does)
        assert names, row
        for name in names:
            assert name in known or name in ("max_retries", "files", "exclude_diverged"), (name, row)
