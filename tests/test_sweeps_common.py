"""Helpers shared by the sweep tests: small RTE files, sweep files, and a fake training engine.
(Their fixtures, rte_dir and fake_train, are in conftest.py.)"""
from pathlib import Path

import yaml

from stilts_nb.tasks import samples


def write_rte(data_dir: Path, n_train: int = 40, n_dev: int = 16, seed: int = 0) -> Path:
    """RTE's sample files (SuperGLUE jsonl) alone; another seed writes other examples."""
    return samples.write_task(data_dir, "rte", (n_train, n_dev), seed)


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


def test_helpers_write_readable_rte(rte_dir, tmp_path):
    from stilts_nb.tasks import get_task, load

    assert [len(load(get_task("rte"), split, rte_dir).examples) for split in ("train", "dev")] == [40, 16]
    other = write_rte(tmp_path / "other", seed=1)
    assert (other / "RTE" / "train.jsonl").read_bytes() != (rte_dir / "RTE" / "train.jsonl").read_bytes()
