"""The slurm executor against a real SLURM scheduler (the one-node cluster of .ci/slurm/start.sh):
the smoke sweep goes through sbatch, one job is cancelled mid-run, and the same command then
finishes the sweep with nothing lost, nothing trained twice but the killed run, and the numbers
of the local executor."""
import os
import subprocess
import sys
import time
from pathlib import Path

import pytest

from conftest import REPO, needs, under_ci
from stilts_nb.sweeps import Store, load_sweep, results, run_sweep
from test_sweeps_common import write_sweep

SMOKE = REPO / "parameters" / "sweeps" / "smoke.yaml"


@pytest.fixture(scope="module")
def slurm():
    """A reachable SLURM controller and submitit, else skip (fail under CI=true, which starts
    the cluster in .ci/run)."""
    from stilts_nb.checks import slurm_available

    needs("submitit", "slurm")
    why = slurm_available()
    if why:
        if under_ci():
            pytest.fail(f"no SLURM scheduler under CI=true: {why}")
        pytest.skip(f"no SLURM scheduler reachable: {why}; start one with .ci/slurm/start.sh")


def _states(job_ids) -> dict:
    from stilts_nb.sweeps.slurm import job_states

    return job_states(job_ids)


def _cancel_one_running_job(jobs_folder: Path, proc, deadline: float) -> str:
    """Wait for one of this sweep's jobs to be running with no result yet, then scancel it."""
    while time.time() < deadline:
        assert proc.poll() is None, proc.stdout.read()[-3000:]
        folders = [p for p in jobs_folder.glob("*") if p.is_dir()] if jobs_folder.is_dir() else []
        states = _states({p.name for p in folders})
        for job_id, state in sorted(states.items()):
            if state == "RUNNING" and not list((jobs_folder / job_id).glob("*_result.pkl")):
                subprocess.run(["scancel", job_id], check=True)
                return job_id
        time.sleep(0.5)
    raise AssertionError("no job of the sweep started running")


@pytest.mark.slow
def test_smoke_sweep_through_sbatch_survives_a_cancelled_job(tmp_path, slurm, shared_data, monkeypatch):
    store = tmp_path / "st.sqlite"
    cmd = [sys.executable, "-m", "stilts_nb.cli", "sweep", str(SMOKE), "--store", str(store),
           "--executor", "slurm", "--cpus-per-run", "1", "--no-progress"]
    env = {**os.environ, "STILTS_DATA_DIR": str(shared_data), "HF_HUB_OFFLINE": "1"}
    proc = subprocess.Popen(cmd, env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
    try:
        killed_job = _cancel_one_running_job(tmp_path / "slurm", proc, time.time() + 240)
        first, _ = proc.communicate(timeout=300)
    finally:
        if proc.poll() is None:
            proc.kill()
    assert proc.returncode == 1, first[-3000:]  # an incomplete sweep is not a success
    assert f"SLURM job {killed_job} ended CANCELLED before this run finished" in first, first[-3000:]
    with Store(store) as s:
        assert s.integrity() == "ok"
        lost = [dict(r) for r in s.db.execute("SELECT id, status, error FROM runs WHERE status != 'done'")]
        done_before = {r[0] for r in s.db.execute("SELECT id FROM runs WHERE status = 'done'")}
    assert lost and all(r["status"] == "pending" for r in lost)  # given back, not failed
    assert not any(r["status"] == "running" for r in lost)

    again = subprocess.run(cmd, env=env, capture_output=True, text=True, timeout=300)
    assert again.returncode == 0, again.stdout[-3000:] + again.stderr[-3000:]
    assert "sweep smoke: 5 runs:" in again.stdout and f"{len(done_before)} already done" in again.stdout

    after = results(store).set_index("id")
    assert len(after) == 5 and (after.status == "done").all()
    with Store(store) as s:
        attempts = dict(s.db.execute("SELECT id, attempts FROM runs").fetchall())
    # the runs finished before the cancel were not trained again; the cancelled one exactly once more
    assert all(attempts[i] == 1 for i in done_before)
    killed = [r["id"] for r in lost if r["error"] and f"SLURM job {killed_job} " in r["error"]]
    assert len(killed) == 1 and attempts[killed[0]] == 2

    # the scheduler changes where a run trains, never its numbers
    monkeypatch.setenv("STILTS_DATA_DIR", str(shared_data))
    local = run_sweep(load_sweep(SMOKE), tmp_path / "local.sqlite", progress=False)
    assert local["done"] == 5
    ref = results(tmp_path / "local.sqlite").set_index("id")
    assert sorted(ref.index) == sorted(after.index)
    for rid in ref.index:
        assert after.loc[rid, "score"] == ref.loc[rid, "score"]


def test_network_store_is_refused_in_one_line(tmp_path):
    from stilts_nb.checks import local_store
    from stilts_nb.errors import UserError

    mounts = (f"/dev/vda / ext4 rw 0 0\n"
              f"server:/export {tmp_path} nfs4 rw,relatime,vers=4.2 0 0\n")
    with pytest.raises(UserError, match=r"--store .*st.sqlite: on a network file system \(nfs4 at "):
        local_store(tmp_path / "runs" / "st.sqlite", mounts)
    local_store(tmp_path.parent / "elsewhere.sqlite", mounts)  # ext4: fine
    (tmp_path / "scratch").mkdir()
    lustre = f"10.0.0.1@tcp:/scratch {tmp_path / 'scratch'} lustre rw 0 0\n"
    with pytest.raises(UserError, match="lustre"):
        local_store(tmp_path / "scratch" / "deep" / "st.sqlite", mounts + lustre)


def test_slurm_without_a_scheduler_is_one_line_exit_2(tmp_path, rte_dir):
    needs("submitit", "slurm")
    sweep = write_sweep(tmp_path / "s.yaml", rte_dir)
    env = {**os.environ, "PATH": str(tmp_path)}  # no sinfo, sbatch or squeue on it
    out = subprocess.run([sys.executable, "-m", "stilts_nb.cli", "sweep", str(sweep), "--store",
                          str(tmp_path / "st.sqlite"), "--executor", "slurm"],
                         env=env, capture_output=True, text=True, timeout=120)
    assert out.returncode == 2, out.stderr
    assert out.stderr.strip() == "stilts-nb sweep: error: --executor slurm: no SLURM client here (sinfo not found)"
    assert not (tmp_path / "st.sqlite").exists()


@pytest.mark.slow
def test_a_preempted_job_is_requeued_and_its_runs_are_not_lost(tmp_path, slurm, rte_dir):
    """`scontrol requeue` does to a job what a preemption in REQUEUE mode does: SIGTERM, then the
    same job queued again. Two runs share the job (runs_per_job: 2); both end up done, once."""
    path = write_sweep(tmp_path / "s.yaml", rte_dir, resources={
        "runs_per_job": 2, "num_cpus": 1, "partition": "debug", "time_min": 10, "mem_gb": 4})
    store = tmp_path / "st.sqlite"
    cmd = [sys.executable, "-m", "stilts_nb.cli", "sweep", str(path), "--store", str(store),
           "--executor", "slurm", "--no-progress"]
    proc = subprocess.Popen(cmd, env={**os.environ, "HF_HUB_OFFLINE": "1"}, stdout=subprocess.PIPE,
                            stderr=subprocess.STDOUT, text=True)
    jobs = tmp_path / "slurm"
    try:
        deadline = time.time() + 240
        while True:
            assert proc.poll() is None, proc.stdout.read()[-3000:]
            assert time.time() < deadline, "the job did not start"
            running = [j for j, st in _states({p.name for p in jobs.glob("*") if p.is_dir()}).items()
                       if st == "RUNNING"] if jobs.is_dir() else []
            if running:
                break
            time.sleep(0.5)
        (job_id,) = running
        # into the job's work: its log says so once the preemption handler is in place (loading
        # the job's pickle imports the engine first, which takes seconds on a loaded machine)
        while not any("run(s) of this job to go" in p.read_text()
                      for p in jobs.glob(f"{job_id}*/*_log.out")):
            assert proc.poll() is None, proc.stdout.read()[-3000:]
            assert time.time() < deadline + 120, "the job never started its runs"
            time.sleep(0.5)
        subprocess.run(["scontrol", "requeue", job_id], check=True)
        # SLURM holds a requeued job for two minutes (BeginTime); the test need not wait them out
        for _ in range(20):
            if _states({job_id}).get(job_id) == "PENDING":
                subprocess.run(["scontrol", "update", f"JobId={job_id}", "StartTime=now"], check=False)
                break
            time.sleep(0.5)
        out, _ = proc.communicate(timeout=300)
    finally:
        if proc.poll() is None:
            proc.kill()
    assert proc.returncode == 0, out[-3000:]
    assert "sweep t: 2 runs: 2 done" in out
    with Store(store) as s:
        assert dict(s.db.execute("SELECT status, COUNT(*) FROM runs GROUP BY status").fetchall()) == {"done": 2}
        assert {r[0] for r in s.db.execute("SELECT attempts FROM runs")} == {1}  # never given back
    script = next(jobs.glob("*/*_submission.sh")).read_text()  # the sweep's resources, as sbatch reads them
    for line in ("--partition=debug", "--time=10", "--mem=4GB", "--cpus-per-task=1"):
        assert f"#SBATCH {line}\n" in script, script
    assert "--gpus-per-node" not in script  # none asked for: no GPU request at all
    log = "".join(p.read_text() for p in jobs.glob(f"{job_id}*/*_log.out"))
    # stopped mid-job, its progress saved, and the same job started again
    assert "Caught signal SIGTERM" in log and "Calling checkpoint method" in log, log
    assert log.count("Starting with JobEnvironment") == 2, log


def test_a_requeued_group_keeps_the_outcomes_it_has(fake_train):
    needs("submitit", "slurm")  # RunGroup.checkpoint() is submitit's requeue protocol
    from stilts_nb.sweeps.slurm import RunGroup
    from stilts_nb.training import TrainConfig

    payloads = [{"id": f"r{i}", "checkpoint": None, "config": TrainConfig(
        task="rte", model="tiny:bert", lr=1e-4, batch_size=8, warmup_ratio=0.0, seed=i)} for i in range(3)]
    group = RunGroup(payloads)
    group.outcomes = [{"id": "r0", "status": "done", "metrics": {"score": 0.9}}]  # before the SIGTERM
    resumed = group.checkpoint().function  # what submitit pickles and calls in the requeued job
    outcomes = resumed()
    assert [o["id"] for o in outcomes] == ["r0", "r1", "r2"]
    assert outcomes[0]["metrics"] == {"score": 0.9}
    assert [c["seed"] for c in fake_train.calls] == [1, 2]  # only the runs it had not finished


def test_a_gpu_fraction_is_refused_for_slurm(tmp_path, slurm):
    from stilts_nb.errors import UserError
    from stilts_nb.sweeps.slurm import SlurmExecutor

    with pytest.raises(UserError, match="--gpus-per-run 0.25: SLURM allocates whole GPUs"):
        SlurmExecutor(tmp_path / "slurm", {"num_gpus": 0.25})
    assert not (tmp_path / "slurm").exists()
