"""Faults from the environment, made for real (issue 30, item 5): a file-size limit
(RLIMIT_FSIZE, as a full disk or a quota does) stops a checkpoint mid-write; a checkpoint is
truncated on disk after its run finished. The same command afterwards, the cause gone, finishes
the sweep; while runs are failed or blocked the sweep exits non-zero and names the command."""
import os
import resource
import signal
import subprocess
import sys

from conftest import REPO
from stilts_nb.sweeps import Store, expand, load_sweep, run_sweep
from stilts_nb.sweeps.faults import MANIFEST, damage
from stilts_nb.tasks import samples
from test_sweeps_common import write_sweep

LIMIT = 200_000  # bytes: the store (~50 kB), the token cache and tokenizer.json (~45 kB) fit; tiny:bert's 0.4 MB weights do not


def data(tmp_path):
    folder = samples.write_task(tmp_path / "data", "rte", (24, 16), 0)
    return samples.write_task(folder, "cola", (24, 16), 0)


def sweep_file(tmp_path, seeds=(12,)):
    return write_sweep(tmp_path / "s.yaml", data(tmp_path), intermediates=["cola"],
                       grid={"lr": [1e-4], "batch_size": [8], "warmup_ratio": [0.0], "seed": list(seeds)})


def ids(path):
    plan = expand(load_sweep(path))
    inter = next(r.id for r in plan.runs if r.role == "intermediate")
    return inter, [r.id for r in plan.runs if r.role == "target"]


def sweep_cli(path, store, cwd, limit=None):
    def limited():  # in the child only: writes past `limit` fail with EFBIG instead of killing it
        signal.signal(signal.SIGXFSZ, signal.SIG_IGN)
        resource.setrlimit(resource.RLIMIT_FSIZE, (limit, limit))

    env = {**os.environ, "PYTHONPATH": os.pathsep.join([str(REPO), os.environ.get("PYTHONPATH", "")])}
    return subprocess.run([sys.executable, "-m", "stilts_nb.cli", "sweep", str(path), "--store", str(store),
                           "--no-progress"], cwd=cwd, env=env, capture_output=True, text=True, timeout=900,
                          preexec_fn=limited if limit else None)


def test_a_full_disk_fails_the_run_exits_1_and_the_same_command_retries_it(tmp_path):
    path, store = sweep_file(tmp_path), tmp_path / "runs" / "st.sqlite"
    inter, targets = ids(path)
    out = sweep_cli(path, store, tmp_path, limit=LIMIT)
    assert out.returncode == 1, out.stderr[-3000:]
    with Store(store) as st:
        run = st.record(inter)
        assert run.status == "failed" and ("File too large" in run.error or "Errno 27" in run.error), run.error
        assert st.record(targets[0]).status == "pending"
    assert f"stilts-nb sweep {path} --store {store} --no-progress" in out.stdout  # the way on, as typed
    assert "1 failed, 1 blocked" in out.stdout

    out = sweep_cli(path, store, tmp_path)  # the same command, the limit gone: no --retry-failed
    assert out.returncode == 0, (out.stdout[-2000:], out.stderr[-3000:])
    with Store(store) as st:
        assert st.record(inter).status == "done" and st.record(inter).attempts == 2
        assert st.record(targets[0]).status == "done"
        assert damage(st.checkpoint_of(inter)) is None


def test_a_failure_of_the_runs_own_is_not_retried_and_the_sweep_still_exits_1(tmp_path):
    path, store = sweep_file(tmp_path), tmp_path / "runs" / "st.sqlite"
    inter, _ = ids(path)
    run_sweep(load_sweep(path), store, progress=False, log=lambda *a, **k: None)
    with Store(store) as st:  # as if its own settings had failed it (not an I/O fault)
        st.db.execute("UPDATE runs SET status='failed', error='ValueError: bad settings', checkpoint=NULL"
                      " WHERE id=?", (inter,))
    out = sweep_cli(path, store, tmp_path)
    assert out.returncode == 1, out.stderr[-3000:]
    assert "--retry-failed" in out.stdout
    with Store(store) as st:
        assert st.record(inter).attempts == 1


def test_a_truncated_checkpoint_is_found_and_its_run_trained_again(tmp_path):
    path, store = sweep_file(tmp_path), tmp_path / "runs" / "st.sqlite"
    inter, _ = ids(path)
    run_sweep(load_sweep(path), store, progress=False, log=lambda *a, **k: None)
    with Store(store) as st:
        ckpt = st.checkpoint_of(inter)
    assert (ckpt / MANIFEST).is_file() and damage(ckpt) is None
    weights = ckpt / "model.safetensors"
    size = weights.stat().st_size
    os.truncate(weights, size // 2)  # damaged on disk after the run finished
    assert damage(ckpt) == f"model.safetensors is {size // 2} bytes, {size} when saved"

    # a new target needs the checkpoint: the same kind of command, one more seed
    path = sweep_file(tmp_path, seeds=(12, 42))
    lines = []
    summary = run_sweep(load_sweep(path), store, progress=False, log=lambda *a, **k: lines.append(a[0]))
    assert any(f"run {inter}: its checkpoint" in line and "is damaged (model.safetensors is" in line
               and "trained again" in line for line in lines), lines
    assert summary.get("done") == 2 and not summary.get("failed") and not summary.get("blocked"), summary
    with Store(store) as st:
        assert st.record(inter).attempts == 2
        fresh = st.checkpoint_of(inter)
        assert damage(fresh) is None and (fresh / "model.safetensors").stat().st_size == size


def test_a_checkpoint_with_a_changed_byte_is_damaged(tmp_path):
    from stilts_nb.sweeps.faults import seal

    (tmp_path / "model.safetensors").write_bytes(b"\x00" * 64)
    seal(tmp_path)
    with open(tmp_path / "model.safetensors", "r+b") as fh:  # same size, one byte flipped
        fh.seek(10)
        fh.write(b"\x01")
    assert damage(tmp_path) == "model.safetensors differs from what was saved (sha256)"
