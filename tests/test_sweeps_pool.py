"""The local worker pool (`--workers N`), with real processes and real signals: the same run ids
and scores as one run at a time; an intermediate trained once and its targets after it; a run
that fails is recorded while the others go on; kill -9 of a worker or of the driver, and Ctrl-C,
then the same command finishes the sweep with nothing lost and nothing trained twice."""
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from stilts_nb.sweeps import Store, results
from test_sweeps_common import write_sweep
from test_sweeps_crash import _count

ENV = {**os.environ, "HF_HUB_OFFLINE": "1"}
GRID = {"lr": [1e-4], "batch_size": [8], "warmup_ratio": [0.0], "seed": [1, 2, 3]}


def _sweep(tmp_path, rte_dir, **over):
    return write_sweep(tmp_path / "s.yaml", rte_dir, intermediates=["none", "rte"], grid=GRID, **over)


def _cmd(path, store, *extra):
    return [sys.executable, "-m", "stilts_nb.cli", "sweep", str(path), "--store", str(store),
            "--no-progress", *extra]


def _workers(pid: int) -> list:
    """The worker processes of a driver (children running the pool's spawn bootstrap)."""
    out = subprocess.run(["ps", "-ww", "-o", "pid=,args=", "--ppid", str(pid)], capture_output=True, text=True)
    return [int(line.split()[0]) for line in out.stdout.splitlines() if "spawn_main" in line]


def _gone(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return True
    status = Path(f"/proc/{pid}/status")
    return status.exists() and "zombie" in status.read_text()


@pytest.mark.slow
def test_two_workers_give_the_run_ids_and_scores_of_one(tmp_path, rte_dir):
    path = _sweep(tmp_path, rte_dir)
    one, two = tmp_path / "one.sqlite", tmp_path / "two.sqlite"
    for store, workers in ((one, "1"), (two, "2")):
        out = subprocess.run(_cmd(path, store, "--workers", workers), env=ENV, capture_output=True,
                             text=True, timeout=600)
        assert out.returncode == 0, out.stdout[-3000:] + out.stderr[-3000:]
    assert "workers: 2 (" in out.stdout  # the pool says what it runs
    a, b = (results(s).set_index("id").sort_index() for s in (one, two))
    assert list(a.index) == list(b.index) and len(a) == 7 and set(b.status) == {"done"}
    assert (a.score == b.score).all(), (a.score, b.score)
    assert (b.attempts == 1).all()  # the intermediate trained once, every target once
    full = results(two, full=True).set_index("id")
    workers = [r["worker"] for r in full.result]
    assert {w["workers"] for w in workers} == {2} and all(w["peak_rss_mb"] > 0 for w in workers)
    # every target started after its intermediate's checkpoint was recorded
    inter = full[full.role == "intermediate"]
    assert len(inter) == 1
    targets = full[full.intermediate == "rte"]
    assert (targets.started_at >= inter.finished_at.iloc[0]).all()


def _start(path, store, *extra, **kw):
    return subprocess.Popen(_cmd(path, store, "--workers", "2", *extra), env=ENV, text=True,
                            stdout=subprocess.PIPE, stderr=subprocess.STDOUT, **kw)


def _until(proc, ready, what="the sweep did not get going"):
    deadline = time.time() + 300
    while not ready():
        assert proc.poll() is None, proc.stdout.read()[-3000:]
        assert time.time() < deadline, what
        time.sleep(0.05)


def _finish_again(path, store):
    """The same command again: it must finish everything, each run done exactly once."""
    out = subprocess.run(_cmd(path, store, "--workers", "2"), env=ENV, capture_output=True,
                         text=True, timeout=600)
    assert out.returncode == 0, out.stdout[-3000:] + out.stderr[-3000:]
    after = results(store).set_index("id")
    assert len(after) == 7 and after.index.is_unique and set(after.status) == {"done"}
    with Store(store) as s:
        assert s.integrity() == "ok" and s.counts().get("running", 0) == 0
        assert [p.name for p in s.checkpoints.iterdir() if p.name.startswith(".")] == []
    return after


@pytest.mark.slow
def test_kill_9_of_a_worker_loses_only_its_run_and_the_same_command_redoes_it(tmp_path, rte_dir):
    path, store = _sweep(tmp_path, rte_dir), tmp_path / "st.sqlite"
    proc = _start(path, store)
    _until(proc, lambda: _count(store, "done") >= 1 and _count(store, "running") == 2
           and len(_workers(proc.pid)) == 2)
    victim = _workers(proc.pid)[0]
    os.kill(victim, signal.SIGKILL)
    out, _ = proc.communicate(timeout=600)
    # the others went on; the killed run is pending again and the sweep says how to finish
    assert proc.returncode == 1, out[-3000:]
    assert f"worker process {victim} was killed by SIGKILL" in out, out[-3000:]
    assert "run(s) lost" in out and "to train them: stilts-nb sweep" in out
    before = results(store).set_index("id")
    lost = before[before.error.fillna("").str.contains(f"worker process {victim}")]
    assert len(lost) == 1 and lost.status.iloc[0] == "pending"
    finished = before[before.status == "done"]
    after = _finish_again(path, store)
    for rid, row in finished.iterrows():  # kept, not retrained
        assert after.loc[rid, "finished_at"] == row.finished_at and after.loc[rid, "attempts"] == 1
    assert after.loc[lost.index[0], "attempts"] == 2
    assert (after.drop(index=lost.index).attempts == 1).all()


@pytest.mark.slow
def test_kill_9_of_the_driver_stops_its_workers_and_the_same_command_finishes(tmp_path, rte_dir):
    path, store = _sweep(tmp_path, rte_dir), tmp_path / "st.sqlite"
    proc = _start(path, store)
    _until(proc, lambda: _count(store, "done") >= 1 and _count(store, "running") >= 1
           and len(_workers(proc.pid)) == 2)
    workers = _workers(proc.pid)
    proc.send_signal(signal.SIGKILL)
    proc.wait()
    deadline = time.time() + 20  # orphans would go on training for nobody
    while not all(_gone(w) for w in workers):
        assert time.time() < deadline, f"workers {workers} outlived their driver"
        time.sleep(0.1)
    with Store(store) as s:
        assert s.integrity() == "ok"
    before = results(store).set_index("id")
    killed = before[before.status == "running"].index
    finished = before[before.status == "done"]
    after = _finish_again(path, store)
    for rid, row in finished.iterrows():
        assert after.loc[rid, "finished_at"] == row.finished_at and after.loc[rid, "attempts"] == 1
    assert (after.loc[killed, "attempts"] == 2).all()


@pytest.mark.slow
def test_ctrl_c_stops_every_worker_and_gives_their_runs_back(tmp_path, rte_dir):
    path, store = _sweep(tmp_path, rte_dir), tmp_path / "st.sqlite"
    proc = _start(path, store, start_new_session=True)  # its own group, as a terminal's job
    _until(proc, lambda: _count(store, "running") == 2 and len(_workers(proc.pid)) == 2)
    workers = _workers(proc.pid)
    os.killpg(proc.pid, signal.SIGINT)  # Ctrl-C: the whole foreground group gets it
    out, _ = proc.communicate(timeout=120)
    assert proc.returncode == 130, out[-3000:]
    assert "traceback" not in out.lower() and "2 run(s) in flight given back as pending" in out
    assert all(_gone(w) for w in workers)
    with Store(store) as s:
        assert s.integrity() == "ok" and s.counts().get("running", 0) == 0
    after = _finish_again(path, store)
    assert after.attempts.max() == 2 and (after.attempts == 2).sum() == 2


@pytest.mark.slow
def test_a_failing_run_is_recorded_and_the_others_go_on(tmp_path, rte_dir):
    # a real fault: the intermediate's checkpoint loses its weights after it was recorded, so
    # the targets that start from it fail in their workers when they load it
    first = write_sweep(tmp_path / "first.yaml", rte_dir, intermediates=["rte"],
                        grid={**GRID, "seed": [1]})
    store = tmp_path / "st.sqlite"
    assert subprocess.run(_cmd(first, store), env=ENV, capture_output=True, timeout=600).returncode == 0
    (weights,) = [p for p in (store.parent / "checkpoints").glob("*/*.safetensors")]
    weights.unlink()
    # without its manifest (a checkpoint saved before manifests existed) the damage is not seen
    # before use, so the targets fail in their workers; with it, the sweep would retrain it
    (weights.parent / "stilts-checkpoint.json").unlink()
    path = _sweep(tmp_path, rte_dir)
    out = subprocess.run(_cmd(path, store, "--workers", "2"), env=ENV, capture_output=True,
                         text=True, timeout=600)
    assert out.returncode == 1, out.stdout[-3000:] + out.stderr[-3000:]
    runs = results(store)
    failed = runs[runs.status == "failed"]
    assert set(failed.intermediate) == {"rte"} and len(failed) == 2  # seeds 2, 3 (1 was done)
    assert (runs[runs.intermediate == "none"].status == "done").sum() == 3
    assert f"run {failed.id.iloc[0]}" in out.stdout
