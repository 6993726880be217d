"""Data parallel: 2 processes (torchrun, gloo on CPU) follow the same loss curve as 1 process
at the same effective batch, with dropout off. The schedule is stepped once per update."""
import json
import os
import shutil
import signal
import subprocess
import sys

import torch

from stilts_nb.training import TrainConfig, train

# 49 examples: the last batch of each epoch has 1 example, so rank 1 runs a zero-weight
# placeholder there; 4 per device: 2 micro-batches per rank per update (accumulation + no_sync)
SETTINGS = dict(task="wic", model="tiny:bert", lr=1e-3, batch_size=16, warmup_ratio=0.2, seed=3,
                epochs=2, train_limit=49, eval_limit=40, max_device_batch=4, dropout=0.0,
                log_every=1, progress=False)
FLAGS = ["--task", "wic", "--model", "tiny:bert", "--lr", "1e-3", "--batch-size", "16",
         "--warmup-ratio", "0.2", "--seed", "3", "--epochs", "2", "--train-limit", "49",
         "--eval-limit", "40", "--max-device-batch", "4", "--dropout", "0", "--log-every", "1",
         "--no-progress"]


def test_two_processes_match_one(sample_data, tmp_path):
    torchrun = shutil.which("torchrun", path=os.path.dirname(sys.executable)) or shutil.which("torchrun")
    assert torchrun, "torchrun (part of torch) not found"
    # in-process first: it fills the tokenization cache the torchrun ranks then read
    threads = torch.get_num_threads()
    torch.set_num_threads(1)
    try:
        one = train(TrainConfig(data_dir=str(sample_data), **SETTINGS)).to_dict()  # as metrics.json
    finally:
        torch.set_num_threads(threads)
    env = dict(os.environ, STILTS_DATA_DIR=str(sample_data), OMP_NUM_THREADS="1", HF_HUB_OFFLINE="1")
    # its own process group: on a timeout the workers go too, not just the torchrun parent
    proc = subprocess.Popen([torchrun, "--standalone", "--nproc_per_node", "2", "-m", "stilts_nb.cli",
                             "train", *FLAGS, "--data-dir", str(sample_data), "--out", str(tmp_path)],
                            env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
                            start_new_session=True)
    try:
        stdout, stderr = proc.communicate(timeout=300)
    except subprocess.TimeoutExpired:
        os.killpg(proc.pid, signal.SIGKILL)
        proc.communicate()
        raise
    assert proc.returncode == 0, stderr[-3000:]
    two = json.loads((tmp_path / "metrics.json").read_text())
    assert (one["num_processes"], two["num_processes"]) == (1, 2)
    assert stdout.count("metrics.json") == 1          # only the main process reports
    a, b = [s["loss"] for s in one["steps"]], [s["loss"] for s in two["steps"]]
    assert len(a) == len(b) == 8
    assert max(abs(x - y) for x, y in zip(a, b)) < 1e-4
    # the learning-rate schedule advanced once per update, not once per process
    assert [s["lr"] for s in one["steps"]] == [s["lr"] for s in two["steps"]]
    assert one["train_tokens"] == two["train_tokens"] and one["score"] == two["score"]
