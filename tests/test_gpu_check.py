"""benchmarks/gpu_check.py: its CPU path runs the whole check and prints one JSON summary."""
from __future__ import annotations

import json
import os
import subprocess
import sys

import pytest

from conftest import MINILM, REPO, needs_asset

SCRIPT = REPO / "benchmarks" / "gpu_check.py"


def _run(*args, env_extra=None, timeout=900):
    env = {**os.environ, "PYTHONPATH": str(REPO), **(env_extra or {})}
    return subprocess.run([sys.executable, str(SCRIPT), *args], capture_output=True, text=True,
                          env=env, timeout=timeout)


def test_cuda_path_without_a_gpu_says_so():
    import torch

    if torch.cuda.is_available():
        pytest.skip("this machine has a GPU: the CUDA path would run")
    proc = _run()
    assert proc.returncode != 0 and "no CUDA device here; use --device cpu" in proc.stderr


@pytest.mark.slow
def test_cpu_path_prints_one_summary(shared_data, tmp_path):
    needs_asset(MINILM)  # the check fine-tunes the real MiniLM
    proc = _run("--device", "cpu", "--precisions", "fp32", "--out", str(tmp_path / "s.json"),
                env_extra={"STILTS_DATA_DIR": str(shared_data)})
    assert proc.returncode == 0, proc.stderr[-2000:]
    summary = json.loads(proc.stdout)
    assert summary == json.loads((tmp_path / "s.json").read_text())
    assert summary["scaled_for_cpu"] is True and summary["precisions"] == ["fp32"]
    wic = summary["minilm_wic"]["fp32"]
    for side in ("ours", "trainer"):
        assert 30 <= wic[side]["accuracy"] <= 80 and wic[side]["tokens_per_s"] > 0
    big = summary["roberta_large_shape"]["fp32"]
    assert big["layers"] == 1 and big["params"] > 60e6            # RoBERTa-large's embeddings + 1 layer
    assert 1 <= big["ours"]["micro_batch"] <= 16 and big["trainer"]["micro_batch"] == big["ours"]["micro_batch"]
    for side in ("ours", "trainer"):
        assert big[side]["tokens"] > 0 and 0 < big[side]["mfu"] < 1.5
    cost = summary["sweep_cost"]
    assert cost["runs"] == 1591 and cost["device_hours"] > 0 and cost["mean_run_minutes"] > 0
