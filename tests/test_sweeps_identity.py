"""Run identity: the same experiment gets the same id, any result-changing field a new one."""
import shutil

import pytest

from stilts_nb.sweeps import expand, parse_sweep
from test_sweeps_common import sweep_dict, write_rte


def ids(data_dir, **over) -> list:
    d = sweep_dict(data_dir, **over)
    if "grid" not in over:
        d["grid"] = {**d["grid"], "seed": [12]}
    plan = expand(parse_sweep(d, "t.yaml"))
    return [r.id for r in plan.runs]


def test_same_config_same_id(rte_dir):
    assert ids(rte_dir) == ids(rte_dir)
    assert len(ids(rte_dir)[0]) == 20


@pytest.mark.parametrize("over", [
    {"grid": {"lr": [2e-4], "batch_size": [8], "warmup_ratio": [0.0], "seed": [12]}},
    {"grid": {"lr": [1e-4], "batch_size": [16], "warmup_ratio": [0.0], "seed": [12]}},
    {"grid": {"lr": [1e-4], "batch_size": [8], "warmup_ratio": [0.2], "seed": [12]}},
    {"grid": {"lr": [1e-4], "batch_size": [8], "warmup_ratio": [0.0], "seed": [42]}},
    {"train_limit": 20}, {"eval_limit": 12}, {"epochs": 2}, {"max_length": 64},
    {"precision": "bf16"}, {"batching": "length"},
    {"model": "tiny:roberta"},
    {"targets": ["rte@30"]},                      # a seeded subsample is other data
], ids=lambda o: next(iter(o)) + ("" if "grid" not in o else str(o["grid"])))
def test_result_changing_fields_change_the_id(rte_dir, over):
    base = dict(grid={"lr": [1e-4], "batch_size": [8], "warmup_ratio": [0.0], "seed": [12]})
    assert ids(rte_dir, **base) != ids(rte_dir, **{**base, **over})


@pytest.mark.parametrize("over", [
    {"name": "other"}, {"description": "words"}, {"store": "elsewhere.sqlite"},
    {"max_device_batch": 4}, {"log_every": 3}, {"eval_each_epoch": True}, {"save_targets": True},
    {"resources": {"num_cpus": 2}}, {"cost": {"effective_tflops": 1}},
    {"epochs": 5, "max_length": 100},           # RTE's own defaults, written out
    {"grid": {"lr": [0.0001], "batch_size": [8], "warmup_ratio": [0], "seed": [12]}},  # 0 == 0.0
], ids=lambda o: next(iter(o)))
def test_cosmetic_fields_keep_the_id(rte_dir, over):
    base = {"epochs": None, "max_length": None}
    assert ids(rte_dir, **base) == ids(rte_dir, **{**base, **over})


def test_data_content_not_path(tmp_path, rte_dir):
    copy = tmp_path / "copy"
    shutil.copytree(rte_dir, copy)
    assert ids(rte_dir) == ids(copy)               # same bytes elsewhere: same experiment
    write_rte(copy, seed=1)                         # regenerated data: a different experiment
    assert ids(rte_dir) != ids(copy)


def test_explicit_files_same_content(tmp_path, rte_dir):
    files = {"train": str(rte_dir / "RTE/train.jsonl"), "dev": str(rte_dir / "RTE/val.jsonl")}
    assert ids(rte_dir) == ids(tmp_path, task_settings={"rte": {"files": files}})


def test_a_target_names_its_intermediate(rte_dir):
    a = expand(parse_sweep(sweep_dict(rte_dir, intermediates=["none", "rte"]), "a.yaml"))
    b = expand(parse_sweep(sweep_dict(rte_dir, intermediates=["none", "rte"], intermediate_training={
        "lr": 5e-5, "batch_size": 8, "seed": 42, "warmup_ratio": 0.1, "train_limit": 24,
        "eval_limit": 16, "epochs": 1}), "b.yaml"))
    none_a = {r.id for r in a.runs if r.intermediate == "none"}
    none_b = {r.id for r in b.runs if r.intermediate == "none"}
    assert none_a == none_b                        # untouched by the intermediate's settings
    inter_a = {r.id for r in a.runs if r.intermediate == "rte"}
    inter_b = {r.id for r in b.runs if r.intermediate == "rte"}
    assert inter_a.isdisjoint(inter_b)             # another intermediate run: other targets
    (ia,) = [r for r in a.runs if r.role == "intermediate"]
    assert all(r.init_id == ia.id for r in a.runs if r.intermediate == "rte")
    assert ia.identity["init"] is None and ia.config["save"] is True


def test_engine_version_is_hashed(rte_dir, monkeypatch):
    before = ids(rte_dir)
    monkeypatch.setattr("stilts_nb.training.ENGINE_VERSION", "999")
    assert ids(rte_dir) != before
