"""kill -9 in the middle of a sweep, then the same command again: nothing lost, nothing twice."""
import os
import signal
import sqlite3
import subprocess
import sys
import time

import pytest

from stilts_nb.sweeps import Store, results
from test_sweeps_common import write_sweep


def _count(store, status):
    try:
        db = sqlite3.connect(f"file:{store}?mode=ro", uri=True, timeout=5)
        n = db.execute("SELECT COUNT(*) FROM runs WHERE status=?", (status,)).fetchone()[0]
        db.close()
        return n
    except sqlite3.Error:
        return 0


@pytest.mark.slow
def test_kill_9_then_resume(tmp_path, rte_dir):
    path = write_sweep(tmp_path / "s.yaml", rte_dir, intermediates=["none", "rte"],
                       grid={"lr": [1e-4], "batch_size": [8], "warmup_ratio": [0.0], "seed": [1, 2, 3]})
    store = tmp_path / "st.sqlite"
    cmd = [sys.executable, "-m", "stilts_nb.cli", "sweep", str(path), "--store", str(store), "--no-progress"]
    env = {**os.environ, "HF_HUB_OFFLINE": "1", "OMP_NUM_THREADS": "1"}
    proc = subprocess.Popen(cmd, env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT)
    deadline = time.time() + 240
    # wait until one run is finished and the next one is in flight, then kill -9
    while not (_count(store, "done") >= 1 and _count(store, "running") == 1):
        assert proc.poll() is None, proc.stdout.read().decode()[-3000:]
        assert time.time() < deadline, "the sweep did not get going"
        time.sleep(0.05)
    proc.send_signal(signal.SIGKILL)
    proc.wait()
    with Store(store) as s:
        assert s.integrity() == "ok"
    before = results(store)
    finished = before[before.status == "done"].set_index("id")
    (killed,) = before[before.status == "running"].id
    assert len(finished) >= 1

    out = subprocess.run(cmd, env=env, capture_output=True, text=True, timeout=300)
    assert out.returncode == 0, out.stdout[-3000:] + out.stderr[-3000:]
    after = results(store).set_index("id")
    assert len(after) == 7 and after.index.is_unique and set(after.status) == {"done"}
    # finished runs were kept as they were (not retrained), the killed one was redone
    for rid, row in finished.iterrows():
        assert after.loc[rid, "finished_at"] == row.finished_at and after.loc[rid, "attempts"] == 1
    assert after.loc[killed, "attempts"] == 2
    with Store(store) as s:
        assert s.integrity() == "ok"
        leftovers = [p.name for p in s.checkpoints.iterdir() if p.name.startswith(".")]
    assert leftovers == []  # a killed run's half-written checkpoint folder is cleaned up
