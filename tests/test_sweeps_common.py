"""Helpers shared by the sweep tests: tiny RTE files, sweep files, and a fake training engine."""
import json
import random
from pathlib import Path

import pytest
import yaml

WORDS = "the a cat dog man woman car house runs sees eats finds red big small old new city river".split()


def write_rte(data_dir: Path, n_train: int = 40, n_dev: int = 16, seed: int = 0) -> Path:
    rng = random.Random(seed)
    folder = Path(data_dir) / "RTE"
    folder.mkdir(parents=True, exist_ok=True)
    for name, n in (("train.jsonl", n_train), ("val.jsonl", n_dev)):
        rows = [{"premise": " ".join(rng.choices(WORDS, k=12)), "hypothesis": " ".join(rng.choices(WORDS, k=5)),
                 "label": rng.choice(["entailment", "not_entailment"]), "idx": i} for i in range(n)]
        (folder / name).write_text("".join(json.dumps(r) + "\n" for r in rows))
    return Path(data_dir)


def sweep_dict(data_dir, **over) -> dict:
    d = {"name": "t", "model": "tiny:bert", "data_dir": str(data_dir), "train_limit": 24,
         "eval_limit": 16, "epochs": 1, "intermediates": ["none"], "targets": ["rte"],
         "grid": {"lr": [1e-4], "batch_size": [8], "warmup_ratio": [0.0], "seed": [12, 42]},
         "intermediate_training": {"lr": 1e-4, "batch_size": 8, "seed": 42, "warmup_ratio": 0.1,
                                   "train_limit": 24, "eval_limit": 16, "epochs": 1}}
    d.update(over)
    return d


def write_sweep(path: Path, data_dir, **over) -> Path:
    path.write_text(yaml.safe_dump(sweep_dict(data_dir, **over), sort_keys=False))
    return path


class FakeTrain:
    """Stands in for the training engine where a test is about the sweep logic, not numbers."""

    def __init__(self, fail=lambda cfg: False):
        self.calls = []
        self.fail = fail

    def __call__(self, config) -> dict:
        # the executor hands over the plan's TrainConfig itself; the fakes read it as a dict
        assert type(config).__name__ == "TrainConfig", type(config)
        config = config.to_dict()
        self.calls.append(config)
        if self.fail(config):
            raise RuntimeError(f"boom at lr={config['lr']}")
        if config.get("save"):
            out = Path(config["out"])
            (out / "config.json").write_text("{}")
        score = 0.5 + config["lr"] * 100 + config["seed"] / 1000
        return {"task": config["task"], "metric": "accuracy", "score": score, "diverged": False,
                "degenerate": False, "per_epoch": [{"epoch": 1, "loss": 0.7, "score": score}],
                "steps": [{"step": 1, "loss": 0.7}], "train_seconds": 0.01, "train_tokens": 10,
                "transferred": ["bert"], "new": ["classifier"]}


@pytest.fixture
def rte_dir(tmp_path):
    return write_rte(tmp_path / "data")


@pytest.fixture
def fake_train(monkeypatch):
    fake = FakeTrain()
    monkeypatch.setattr("stilts_nb.sweeps.executors.train_run", fake)
    return fake


def test_helpers_write_readable_rte(rte_dir):
    from stilts_nb.tasks import get_task, load

    assert len(load(get_task("rte"), "train", rte_dir).examples) == 40
