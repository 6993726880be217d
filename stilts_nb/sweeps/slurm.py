"""The ``slurm`` executor: each run, or a packed group of runs, is a SLURM job, through submitit.

Why submitit (Meta's, maintained, the usual choice in NLP groups): it pickles the call, writes the
sbatch script from the resources, submits job arrays, keeps each job's log and result in one
folder, and requeues a job that SLURM preempts or times out (its signal handler calls our
``checkpoint`` and runs ``scontrol requeue``). We do not use its job-state watcher: it asks
``sacct``, which needs SLURM's accounting daemon and database, which many clusters (and our
one-node test cluster) do not run; ``squeue --states=all`` answers for every cluster.

Only the driver writes the store: a job returns its runs' outcomes as a pickle in the job
folder, which the driver reads and records. A job that ends without one (``scancel``, a node
lost, out of memory) gives its runs back as pending: the next sweep redoes them. A group job
that is preempted keeps the outcomes of the runs it had finished and restarts the one in flight
from scratch (see docs/sweeps.md for that trade-off).
"""
from __future__ import annotations

import itertools
import signal
import subprocess
import time
from dataclasses import replace
from pathlib import Path

from ..errors import UserError
from .executors import execute, forwarded_env

# the states after which a job never runs again (squeue --states=all lists them for a while)
ENDED = {"COMPLETED", "CANCELLED", "FAILED", "TIMEOUT", "NODE_FAIL", "PREEMPTED", "BOOT_FAIL",
         "DEADLINE", "OUT_OF_MEMORY", "SPECIAL_EXIT", "REVOKED"}
# ended by the cluster, not by the run or its user: the driver submits the run again itself
RESUBMIT = {"PREEMPTED", "NODE_FAIL", "BOOT_FAIL"}
MAX_RESUBMITS = 3
DEFAULT_IN_FLIGHT = 64  # runs queued or running at once: a polite share of a fair-share queue


class RunGroup:
    """What a job executes: its runs one after another, returning their outcomes in order.

    submitit calls ``checkpoint`` when SLURM preempts or times the job out; the requeued job gets
    this object back with the outcomes it already has, so only the run in flight is redone."""

    def __init__(self, payloads: list):
        self.payloads = list(payloads)
        self.outcomes: list = []

    def __call__(self) -> list:
        # SIGTERM comes both from `scancel` and from a preemption (or `scontrol requeue`), and
        # the job cannot tell which. So it only saves what it has (submitit's checkpoint_and_exit)
        # and never requeues itself: SLURM requeues a job it preempts in REQUEUE mode, and then it
        # resumes from this checkpoint; a cancelled job stays cancelled, as its user asked.
        handler = getattr(signal.getsignal(signal.SIGUSR2), "__self__", None)
        if hasattr(handler, "checkpoint_and_exit"):
            signal.signal(signal.SIGTERM, handler.checkpoint_and_exit)
        # in the job's log: from here on a preemption saves the outcomes so far
        print(f"stilts-nb: {len(self.payloads) - len(self.outcomes)} of {len(self.payloads)} "
              "run(s) of this job to go", flush=True)
        while len(self.outcomes) < len(self.payloads):
            payload = self.payloads[len(self.outcomes)]
            payload["config"] = replace(payload["config"], progress=False)  # the job log stays readable
            self.outcomes.append(execute(payload))
        return self.outcomes

    def checkpoint(self):
        import submitit

        return submitit.helpers.DelayedSubmission(self)


class SlurmExecutor:
    """Runs are buffered by ``submit`` and sent as one job array when the driver next waits:
    ``runs_per_job`` runs per array task (short runs share an allocation), ``max_in_flight``
    runs queued or running at once."""

    name = "slurm"

    def __init__(self, folder: Path, resources: dict | None = None):
        try:
            import submitit
        except ImportError:
            raise UserError("the slurm executor needs submitit: pip install 'stilts-nb[slurm]'") from None
        res = dict(resources or {})
        gpus = res.get("num_gpus", 0)
        if gpus != int(gpus):
            raise UserError(f"--gpus-per-run {gpus:g}: SLURM allocates whole GPUs; to share one, "
                            "use a Ray cluster, or train several runs per job with --runs-per-job")
        self.folder = Path(folder)
        self.per_job = int(res.get("runs_per_job", 1))
        self.capacity = int(res.get("max_in_flight", DEFAULT_IN_FLIGHT))
        self.threads = res.get("torch_threads") or max(1, int(res.get("num_cpus", 1)))
        self.ex = submitit.AutoExecutor(folder=self.folder / "%j", cluster="slurm")
        self.ex.update_parameters(**slurm_parameters(res, self.per_job))
        self._ids = itertools.count(1)
        self._buffer: dict = {}   # handle -> payload, not submitted yet
        self._jobs: dict = {}     # handle -> (job, index of the run in its group)
        self._payloads: dict = {}  # handle -> payload, while in flight (to submit it again)
        self._resubmits: dict = {}  # handle -> times submitted again

    def submit(self, payload: dict):
        handle = next(self._ids)
        self._payloads[handle] = {**payload, "torch_threads": self.threads,
                                  "env": {**forwarded_env(), **(payload.get("env") or {})}}
        self._buffer[handle] = self._payloads[handle]
        return handle

    def _flush(self) -> None:
        if not self._buffer:
            return
        handles = list(self._buffer)
        groups = [handles[i:i + self.per_job] for i in range(0, len(handles), self.per_job)]
        with self.ex.batch():  # one sbatch call: a job array, one task per group
            jobs = [self.ex.submit(RunGroup([self._buffer[h] for h in g])) for g in groups]
        for job, group in zip(jobs, groups):
            for index, handle in enumerate(group):
                self._jobs[handle] = (job, index)
        self._buffer.clear()

    def wait(self, handles, timeout=None) -> list:
        self._flush()
        deadline = time.time() + (timeout if timeout is not None else 1e9)
        while True:
            out = self._collect(set(handles))
            if out or time.time() >= deadline:
                return out
            time.sleep(min(2.0, max(0.0, deadline - time.time())))

    def _collect(self, handles: set) -> list:
        mine = {h: self._jobs[h] for h in handles if h in self._jobs}
        states = job_states({job.job_id for job, _ in mine.values()})
        out = []
        for handle, (job, index) in mine.items():
            state = states.get(job.job_id)
            has_result = job.paths.result_pickle.exists()
            if not has_result and state not in ENDED and state is not None:
                continue  # pending, running, requeued, completing
            if not has_result and state is None and time.time() - _submitted(job) < 60:
                continue  # just submitted: squeue may not list it yet
            del self._jobs[handle]
            if not has_result and state in RESUBMIT and self._resubmits.get(handle, 0) < MAX_RESUBMITS:
                self._resubmits[handle] = self._resubmits.get(handle, 0) + 1
                self._buffer[handle] = self._payloads[handle]  # sent with the next flush
                continue
            out.append((handle, self._outcome(job, index, state) if has_result else _lost(job, state)))
            self._payloads.pop(handle, None)
        if self._buffer:
            self._flush()
        return out

    @staticmethod
    def _outcome(job, index: int, state) -> dict:
        # read only once the result file exists: without it submitit would wait on sacct
        try:
            return job.result()[index]
        except Exception as err:  # noqa: BLE001 -- the job ran out of requeues, or its pickle broke
            return _lost(job, state, (str(err).strip().splitlines() or ["?"])[0])

    def cancel(self, handles) -> None:
        for handle in handles:
            self._buffer.pop(handle, None)
            self._payloads.pop(handle, None)
        jobs = {self._jobs[h][0].job_id: self._jobs[h][0] for h in handles if h in self._jobs}
        for job in jobs.values():
            try:
                job.cancel(check=False)
            except Exception:  # noqa: BLE001 -- already over: nothing to cancel
                pass

    def close(self) -> None:
        self._buffer.clear()


def slurm_parameters(res: dict, per_job: int) -> dict:
    """submitit's parameters from the sweep's ``resources`` (names as in the sweep file)."""
    params = {"name": res.get("job_name", "stilts-nb"),
              "timeout_min": int(res.get("time_min", 60 * per_job)),
              "cpus_per_task": max(1, int(res.get("num_cpus", 1))),
              "tasks_per_node": 1, "nodes": 1,
              "slurm_array_parallelism": int(res.get("max_in_flight", DEFAULT_IN_FLIGHT))}
    if res.get("num_gpus"):  # asked for only when wanted: a CPU partition may refuse any GPU request
        params["gpus_per_node"] = int(res["num_gpus"])
    if res.get("mem_gb"):
        params["mem_gb"] = res["mem_gb"]
    for key in ("partition", "account", "qos"):
        if res.get(key):
            params[f"slurm_{key}"] = res[key]
    return params


def job_states(job_ids) -> dict:
    """job id -> SLURM state, for the jobs squeue still lists (array tasks as ``123_4``)."""
    if not job_ids:
        return {}
    # all of this user's jobs, one line per array task (-r): asking by id fails as a whole
    # when one id has already left squeue's memory
    import getpass

    out = subprocess.run(["squeue", "-h", "-r", "--states=all", "-o", "%i %T", "-u", getpass.getuser()],
                         capture_output=True, text=True, timeout=60)
    states = {}
    for line in out.stdout.splitlines():
        parts = line.split()
        if len(parts) == 2:
            states[parts[0]] = parts[1]
    return {i: states[i] for i in job_ids if i in states}


def _lost(job, state, why: str = "") -> dict:
    """A job that ended without this run's outcome: the driver gives the run back as pending."""
    detail = f" ({why[:300]})" if why else ""
    return {"status": "lost", "error": f"SLURM job {job.job_id} ended {state or '(no longer listed)'}"
                                      f" before this run finished{detail}; rerun the sweep to redo it"}


def _submitted(job) -> float:
    try:
        return job.paths.submitted_pickle.stat().st_mtime
    except OSError:
        return 0.0
