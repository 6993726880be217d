"""Where runs execute: in this process (``local``) or as Ray tasks (``ray``).

Both hand a payload (a plain dict: the run's TrainConfig, where a checkpoint goes, environment)
to ``execute`` and get a plain dict back. Workers never touch the store: the driver claims each
run before submitting it and writes its outcome when it comes back, so one process writes per
sweep and a worker that dies leaves nothing half-written (its lease just expires).

An executor offers ``capacity`` (runs in flight at once), ``submit(payload) -> handle``,
``wait(handles, timeout) -> [(handle, outcome)]``, ``cancel(handles)`` and ``close()``.
"""
from __future__ import annotations

import os
import shutil
import tempfile
import time
import traceback
from dataclasses import replace
from pathlib import Path

from ..errors import UserError
from . import faults
from .packing import runs_at_once

# Environment a worker needs to see the same data, caches and offline switch as the driver.
FORWARDED_ENV = ("STILTS_DATA_DIR", "STILTS_CACHE", "HF_HUB_OFFLINE", "HF_HOME",
                 "TRANSFORMERS_OFFLINE", "TOKENIZERS_PARALLELISM")


def train_run(config) -> dict:
    """The one call into the training engine (swap it here, or monkeypatch it in tests).
    `config` is the run's TrainConfig, built once by the plan; -> the run's result as a plain
    dict (RunResult.to_dict): what a worker sends back and the store records, with the final
    dev scoring's per-example predictions (the store keeps them in their own table)."""
    from ..training import train

    return train(config).to_dict(predictions=True)


def execute(payload: dict) -> dict:
    """Train one run. A run's own failure is returned (status 'failed' with the error), never
    raised, so the sweep goes on; only KeyboardInterrupt and the like propagate."""
    start = time.time()
    for key, value in (payload.get("env") or {}).items():
        os.environ.setdefault(key, value)
    threads = payload.get("torch_threads")
    saved_threads = _set_threads(threads)
    final = Path(payload["checkpoint"]) if payload.get("checkpoint") else None
    # train into a private folder beside the final one, then rename: a checkpoint folder that
    # exists under its final name is always complete, whatever moment the process died at
    if final is not None:
        final.parent.mkdir(parents=True, exist_ok=True)
    work = Path(tempfile.mkdtemp(prefix=f".{payload['id']}.", dir=final.parent if final else None))
    config = replace(payload["config"], out=str(work), save=final is not None)
    outcome = {"id": payload["id"]}
    try:
        metrics = train_run(config)
        status = "diverged" if metrics.get("diverged") else "done"
        if final is not None and status == "done":
            shutil.rmtree(final, ignore_errors=True)  # left by a run killed after its rename
            faults.seal(work)  # sizes and sha256, checked before a target starts from it
            os.replace(work, final)
            outcome["checkpoint"] = str(final)
        outcome.update(status=status, metrics=metrics)
    except UserError as err:
        outcome.update(status="failed", error=str(err))
    except Exception as err:  # noqa: BLE001 -- any bug in one run must not stop the sweep
        tail = "".join(traceback.format_exception(type(err), err, err.__traceback__)[-6:])
        outcome.update(status="failed", error=f"{type(err).__name__}: {err}\n{tail}")
    finally:
        shutil.rmtree(work, ignore_errors=True)
        _set_threads(saved_threads)
    metrics = outcome.get("metrics") or {}
    outcome.update(wall_seconds=time.time() - start, device=metrics.get("device") or _device(),
                   versions={**_versions(), **(metrics.get("versions") or {})})
    return outcome


def _set_threads(n):
    if not n:
        return None
    import torch

    before = torch.get_num_threads()
    torch.set_num_threads(int(n))
    return before


def _device() -> str:
    import torch

    if torch.cuda.is_available():
        return torch.cuda.get_device_name()
    return f"cpu x{torch.get_num_threads()} threads"


def _versions() -> dict:
    import platform

    from .. import __version__

    return {"python": platform.python_version(), "stilts_nb": __version__}


def forwarded_env() -> dict:
    return {k: os.environ[k] for k in FORWARDED_ENV if k in os.environ}


class LocalExecutor:
    """Sequential, in this process: submit() queues, wait() trains the next one."""

    name = "local"
    capacity = 1

    def __init__(self, resources: dict | None = None):
        self.threads = (resources or {}).get("torch_threads")
        self._queue = {}
        self._next = 0

    def submit(self, payload: dict):
        self._next += 1
        self._queue[self._next] = {**payload, "torch_threads": self.threads}
        return self._next

    def wait(self, handles, timeout=None) -> list:
        handle = next(h for h in self._queue if h in handles)
        return [(handle, execute(self._queue.pop(handle)))]

    def cancel(self, handles) -> None:
        for h in handles:
            self._queue.pop(h, None)

    def close(self) -> None:
        self._queue.clear()


class RayExecutor:
    """Each run is a Ray task asking for its resources: one GPU per run when the cluster has
    GPUs (unless the sweep says otherwise), else ``num_cpus`` CPUs with as many torch threads.
    ``address``: None starts or joins Ray as ``ray.init()`` does, "auto" joins a running
    cluster (e.g. started in a SLURM job), "ray://host:10001" a remote one through Ray Client."""

    name = "ray"

    def __init__(self, address: str | None = None, resources: dict | None = None):
        try:
            import ray
        except ImportError:
            raise UserError("the ray executor needs Ray: pip install 'stilts-nb[ray]'") from None
        self.ray = ray
        self._owns = not ray.is_initialized()
        if self._owns:
            try:
                ray.init(address=address, include_dashboard=False, log_to_driver=True)
            except (ConnectionError, ValueError, RuntimeError) as err:
                raise UserError(f"could not reach Ray at {address or 'a local instance'}: "
                                f"{str(err).splitlines()[0]}") from None
        res = dict(resources or {})
        cluster = ray.cluster_resources()
        gpus = res.get("num_gpus", 1 if cluster.get("GPU", 0) >= 1 else 0)
        cpus = res.get("num_cpus", 1)
        self.options = {"num_cpus": cpus, "num_gpus": gpus}
        self.threads = res.get("torch_threads") or max(1, int(cpus))  # 0.5 CPU: still 1 thread
        self._limit = res.get("max_in_flight")
        self._remote = ray.remote(_ray_execute)
        self._capacity_at = 0.0
        self._capacity = 1

    @property
    def capacity(self) -> int:
        """How many runs fit on the cluster at once (re-read now and then: nodes join late)."""
        if time.time() - self._capacity_at > 30:
            self._capacity = runs_at_once(self.ray.cluster_resources(), self.options["num_gpus"],
                                          self.options["num_cpus"])
            self._capacity_at = time.time()
        return min(self._capacity, self._limit) if self._limit else self._capacity

    def submit(self, payload: dict):
        payload = {**payload, "torch_threads": self.threads, "env": {**forwarded_env(),
                                                                    **(payload.get("env") or {})}}
        return self._remote.options(**self.options).remote(payload)

    def wait(self, handles, timeout=None) -> list:
        ready, _ = self.ray.wait(list(handles), num_returns=1, timeout=timeout)
        out = []
        for ref in ready:
            try:
                out.append((ref, self.ray.get(ref)))
            except Exception as err:  # noqa: BLE001 -- a worker died (OOM, node lost)
                out.append((ref, {"status": "failed", "error": f"Ray worker failed: {err}"[:2000]}))
        return out

    def cancel(self, handles) -> None:
        for ref in handles:
            try:
                self.ray.cancel(ref, force=True)
            except Exception:  # noqa: BLE001 -- already finished or gone: nothing to cancel
                pass

    def close(self) -> None:
        if self._owns:
            self.ray.shutdown()


def _ray_execute(payload: dict) -> dict:
    import ray

    payload["config"] = replace(payload["config"], progress=False)  # no bars from workers
    outcome = execute(payload)
    if "metrics" in outcome:  # what Ray gave this run, e.g. {"GPU": 0.25, "CPU": 1.0}
        outcome["metrics"]["ray_resources"] = ray.get_runtime_context().get_assigned_resources()
    return outcome


def make_executor(name: str, address: str | None = None, resources: dict | None = None):
    """local or ray (the slurm executor, sweeps/slurm.py, builds on this module: run.py picks it)."""
    if address and name != "ray":
        raise UserError("--address is for --executor ray")
    if name == "local":
        return LocalExecutor(resources)
    if name == "ray":
        return RayExecutor(address, resources)
    raise UserError(f"unknown executor {name!r}; use local, ray or slurm")
