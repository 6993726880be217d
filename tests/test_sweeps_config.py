"""Sweep files: the paper's defaults, and every bad input refused with one message naming it."""
from pathlib import Path

import pytest
import yaml

from stilts_nb.cli import main
from stilts_nb.errors import UserError
from stilts_nb.sweeps import PAPER_GRID, dry_run, load_sweep
from conftest import needs_asset
from test_sweeps_common import sweep_dict, write_sweep

REPO = Path(__file__).resolve().parents[1]


def test_defaults_are_the_papers(tmp_path, rte_dir):
    path = write_sweep(tmp_path / "s.yaml", rte_dir)
    d = yaml.safe_load(path.read_text())
    del d["grid"], d["intermediate_training"]
    path.write_text(yaml.safe_dump(d))
    sweep = load_sweep(path)
    assert sweep.studies[0].grid == PAPER_GRID and sweep.studies[0].grid_size == 36
    assert sweep.intermediate_training == {"lr": 1e-5, "batch_size": 16, "seed": 42, "warmup_ratio": 0.1}


def test_exponent_learning_rates_are_numbers(tmp_path):
    # YAML 1.1 reads 5e-6 as a string; a sweep file must not
    p = tmp_path / "s.yaml"
    p.write_text("model: tiny:bert\ntargets: [rte]\ngrid: {lr: [5e-6, 1E-5, 2.0e-5]}\n")
    assert load_sweep(p).studies[0].grid["lr"] == [5e-6, 1e-5, 2e-5]


BAD = [
    ({"learning_rate": [1e-5]}, "unknown key 'learning_rate'"),
    ({"grid": {"lr": [1e-5], "seeds": [1]}}, "unknown key 'seeds' in 'grid' (did you mean 'seed'?)"),
    ({"targets": ["rte", "wikiqa"]}, "unknown task 'wikiqa'"),
    ({"intermediates": ["none", "hellaswag-x"]}, "unknown transform -x"),
    ({"targets": ["none"]}, "'targets': 'none' is only meaningful as an intermediate"),
    ({"targets": []}, "'targets' is empty"),
    ({"grid": {"lr": []}}, "'grid.lr' is empty, so the grid has no configuration"),
    ({"grid": {"lr": ["fast"]}}, "'grid.lr': expected a positive number, got 'fast'"),
    ({"grid": {"batch_size": [8.5]}}, "'grid.batch_size': expected a positive integer, got float 8.5"),
    ({"grid": {"warmup_ratio": [1.0]}}, "'grid.warmup_ratio': expected a number in [0, 1)"),
    ({"grid": {"seed": [-1]}}, "'grid.seed': expected a non-negative integer"),
    ({"train_limit": "all"}, "'train_limit': expected a positive integer, got 'all'"),
    ({"precision": "fp16"}, "'precision': expected one of fp32, bf16"),
    ({"save_targets": "yes"}, "'save_targets': expected true or false"),
    ({"intermediate_training": {"lr": 0}}, "'intermediate_training.lr': expected a positive number"),
    ({"task_settings": {"rte": {"epoch": 3}}}, "unknown key 'epoch' in 'task_settings.rte'"),
    ({"task_settings": {"nope": {"epochs": 3}}}, "unknown task 'nope'"),
    ({"studies": {"a": {"targets": ["rte"]}}}, "either 'studies' or top-level"),
    ({"resources": {"gpus": 1}}, "unknown key 'gpus' in 'resources'"),
]


@pytest.mark.parametrize("over,message", BAD, ids=[m[:30] for _, m in BAD])
def test_bad_sweep_is_refused_with_one_message(tmp_path, rte_dir, capsys, over, message):
    path = write_sweep(tmp_path / "bad.yaml", rte_dir, **over)
    with pytest.raises(UserError) as err:
        load_sweep(path)
    assert message in str(err.value) and str(path) in str(err.value)
    # the command line: one line on stderr, exit 2, nothing created
    assert main(["sweep", str(path), "--store", str(tmp_path / "st.sqlite")]) == 2
    out = capsys.readouterr()
    assert out.err.count("\n") == 1 and message in out.err and "Traceback" not in out.err
    assert not (tmp_path / "st.sqlite").exists()


@pytest.mark.parametrize("text,message", [
    ("model: tiny:bert\ntargets: [rte]\ntargets: [wic]\n", "key 'targets' appears twice"),
    ("model: tiny:bert\ntargets: [rte\n", "not valid YAML"),
    ("- a\n- b\n", "must be a mapping"),
    ("targets: [rte]\n", "the key 'model' is required"),
    ("model: tiny:bert\nstudies: {fig: {intermediates: [none]}}\n", "'studies.fig.targets' is required"),
])
def test_malformed_files(tmp_path, text, message):
    p = tmp_path / "bad.yaml"
    p.write_text(text)
    with pytest.raises(UserError, match=message.replace("[", r"\[")):
        load_sweep(p)


def test_missing_data_refused_before_training(tmp_path, rte_dir):
    from stilts_nb.sweeps import run_sweep

    path = write_sweep(tmp_path / "s.yaml", rte_dir, targets=["wic"])
    with pytest.raises(UserError, match="nothing was run: the data of 1 task"):
        run_sweep(load_sweep(path), tmp_path / "st.sqlite", progress=False)
    assert not (tmp_path / "st.sqlite").exists()


def test_a_bad_value_from_a_task_definition_names_the_run(tmp_path, rte_dir, monkeypatch):
    """What only a task definition gives (its epochs) is checked where the run's TrainConfig is
    made, and refused naming the sweep file and the run."""
    from dataclasses import replace

    from stilts_nb import tasks
    from stilts_nb.sweeps import expand, parse_sweep

    monkeypatch.setitem(tasks.TASKS, "rte", replace(tasks.TASKS["rte"], epochs=0))
    d = sweep_dict(rte_dir)
    del d["epochs"]  # the task's own, then
    with pytest.raises(UserError, match=r"^t.yaml: rte \(target\): epochs must be a positive "
                                        r"integer, got int 0$"):
        expand(parse_sweep(d, "t.yaml"))


def test_paper_design_dry_runs_to_the_papers_counts(shared_data, tmp_path, monkeypatch):
    monkeypatch.setenv("STILTS_DATA_DIR", str(shared_data))
    d = dry_run(load_sweep(REPO / "parameters/sweeps/paper.yaml"), tmp_path / "none.sqlite")
    added = {s["study"]: s["added"] for s in d["studies"]}
    assert added == {"figure2": 1152, "table3": 216, "figure3": 216}
    assert d["intermediates"]["runs"] == 7 and d["total"]["runs"] == 7 + 1152 + 216 + 216
    assert d["total"]["new"] == d["total"]["runs"]
    assert 10 < d["cost_all"]["hours"] < 2000
    assert not (tmp_path / "none.sqlite").exists()  # a dry run creates nothing


@pytest.mark.parametrize("name", ["smoke", "demo_rte", "demo_pilot"])
def test_shipped_sweeps_dry_run(shared_data, tmp_path, monkeypatch, name, capsys):
    monkeypatch.setenv("STILTS_DATA_DIR", str(shared_data))
    model = yaml.safe_load((REPO / f"parameters/sweeps/{name}.yaml").read_text())["model"]
    if model.startswith("pkg:"):  # the demo sweeps name the MiniLM asset package
        needs_asset(model[len("pkg:"):])
    assert main(["sweep", str(REPO / f"parameters/sweeps/{name}.yaml"), "--dry-run",
                 "--store", str(tmp_path / "s.sqlite")]) == 0
    out = capsys.readouterr().out
    assert "estimated cost" in out and "data not on this machine" not in out
