"""How many runs share a machine on Ray: ``--gpus-per-run 0.25`` packs four runs on each GPU.

A fine-tuning run of a small model (MiniLM, or RoBERTa-large on WinoGrande-XS at batch 8) uses a
fraction of a modern GPU's memory and compute; one run per GPU leaves most of it idle. Ray
schedules fractional GPUs: with 0.25 four runs are placed on one device (CUDA_VISIBLE_DEVICES is
the same for all four) and share its memory, so the caller picks a fraction whose runs fit
together. ``--cpus-per-run`` sets the CPUs (and torch threads) each run asks for.
"""
from __future__ import annotations

from ..errors import UserError


def with_flags(resources: dict, gpus_per_run: float | None, cpus_per_run: float | None) -> dict:
    """The sweep's resources with the command-line overrides, checked."""
    out = dict(resources or {})
    if gpus_per_run is not None:
        # Ray accepts fractions below one GPU or whole numbers of GPUs, nothing in between
        if gpus_per_run < 0 or (gpus_per_run > 1 and gpus_per_run != int(gpus_per_run)):
            raise UserError(f"--gpus-per-run must be a fraction in [0, 1] or a whole number, got {gpus_per_run:g}")
        out["num_gpus"] = gpus_per_run
    if cpus_per_run is not None:
        if cpus_per_run <= 0:
            raise UserError(f"--cpus-per-run must be positive, got {cpus_per_run:g}")
        out["num_cpus"] = cpus_per_run
    return out


def runs_at_once(cluster: dict, num_gpus: float, num_cpus: float) -> int:
    """How many runs of this shape the cluster holds at once: GPUs and CPUs both bound it."""
    fit = cluster.get("CPU", 1) // num_cpus
    if num_gpus:
        fit = min(fit, cluster.get("GPU", 0) // num_gpus)
    return max(1, int(fit))
