"""A sweep you can watch and stop: Ctrl-C or SIGTERM to a real sweep process gives its run back
and says how to resume; that command finishes the sweep; `status --watch` follows a store that
another process fills and ends when it is complete; the progress bar counts what a user needs."""
import os
import shlex
import signal
import subprocess
import sys
import time

import pytest

from stilts_nb.sweeps import Store, load_sweep, results, run_sweep
from test_sweeps_common import write_sweep
from test_sweeps_crash import _count


@pytest.mark.slow
@pytest.mark.parametrize("sig", [signal.SIGINT, signal.SIGTERM], ids=["ctrl-c", "sigterm"])
def test_a_signal_stops_the_sweep_cleanly_and_the_message_resumes_it(tmp_path, rte_dir, sig):
    path = write_sweep(tmp_path / "s.yaml", rte_dir,
                       grid={"lr": [1e-4], "batch_size": [8], "warmup_ratio": [0.0], "seed": [1, 2, 3]})
    store = tmp_path / "st.sqlite"
    env = {**os.environ, "HF_HUB_OFFLINE": "1", "OMP_NUM_THREADS": "1"}
    proc = subprocess.Popen([sys.executable, "-m", "stilts_nb.cli", "sweep", str(path), "--store", str(store),
                             "--no-progress"], env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
    deadline = time.time() + 240
    while _count(store, "running") != 1:
        assert proc.poll() is None, proc.stdout.read()[-3000:]
        assert time.time() < deadline, "the sweep did not get going"
        time.sleep(0.05)
    proc.send_signal(sig)
    out, _ = proc.communicate(timeout=120)
    assert proc.returncode == 130, out[-3000:]
    assert "traceback" not in out.lower()
    # the command as typed, ready to paste back
    assert f"given back as pending; resume with: stilts-nb sweep {path} --store {store} --no-progress\n" in out
    resume = out.split("resume with: ", 1)[1].splitlines()[0]
    with Store(store) as s:
        assert s.integrity() == "ok"
        assert s.counts().get("running", 0) == 0  # no lease left behind
    stopped = results(store)
    assert stopped[stopped.status == "pending"].error.str.contains("interrupted").sum() == 1

    again = subprocess.run([sys.executable, "-m", "stilts_nb.cli", *shlex.split(resume)[1:]],
                           env=env, capture_output=True, text=True, timeout=300)
    assert again.returncode == 0, again.stdout[-3000:] + again.stderr[-3000:]
    assert (results(store).status == "done").sum() == 3


def test_status_watch_follows_another_process_until_the_sweep_is_over(tmp_path, rte_dir, fake_train):
    path = write_sweep(tmp_path / "s.yaml", rte_dir)
    store = tmp_path / "st.sqlite"
    sweep = load_sweep(path)
    run_sweep(sweep, store, progress=False)
    with Store(store) as s:  # another process is training the second run
        second = results(store).id.iloc[1]
        s.release(second, "nobody", "")
        s.db.execute("UPDATE runs SET status='pending', score=NULL WHERE id=?", (second,))
        assert s.claim(second, "otherhost:1:1") == "claimed"
    watch = subprocess.Popen([sys.executable, "-m", "stilts_nb.cli", "status", "--store", str(store),
                              "--watch", "0.2"], stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
    lines = []
    while len(lines) < 3:  # the same view, redrawn while the run is in flight
        line = watch.stdout.readline()
        assert line, "status --watch ended early: " + "".join(lines)
        if "runs:" in line:
            lines.append(line)
    assert all("2 runs: 1 done, 0 diverged, 0 failed, 1 running, 0 pending; ETA " in x for x in lines), lines
    with Store(store) as s:  # ... and finishes it
        s.finish(second, "otherhost:1:1", {"status": "done", "metrics": {"score": 0.5}, "wall_seconds": 1.0})
    rest, _ = watch.communicate(timeout=60)
    assert watch.returncode == 0
    assert "2 runs: 2 done, 0 diverged, 0 failed, 0 running, 0 pending" in rest.splitlines()[-1]


def test_the_progress_bar_counts_done_failed_and_in_flight(tmp_path, rte_dir, monkeypatch, capsys):
    from test_sweeps_common import FakeTrain

    monkeypatch.setattr("stilts_nb.sweeps.executors.train_run", FakeTrain(fail=lambda c: c["seed"] == 42))
    path = write_sweep(tmp_path / "s.yaml", rte_dir)
    run_sweep(load_sweep(path), tmp_path / "st.sqlite", progress=True)
    bar = capsys.readouterr().err.replace("\r", "\n").strip().splitlines()[-1]
    assert bar.startswith("sweep t: 100%") and "2/2" in bar
    assert "done=1, failed=1, diverged=0, lost=0, in_flight=0" in bar


def test_the_notebook_progress_bar_renders_without_warnings():
    import warnings

    from tqdm.notebook import tqdm

    with warnings.catch_warnings():
        warnings.simplefilter("error")  # tqdm warns (IProgress not found) when it cannot render
        bar = tqdm(total=2, desc="sweep")
        bar.update(1)
        bar.close()
