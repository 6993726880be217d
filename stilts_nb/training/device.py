"""The device side of a run: the accelerate Accelerator, freeing memory between runs, and what
hardware and library versions a run records. Shared by training and zero-shot evaluation."""
from __future__ import annotations

import gc

import torch


def make_accelerator(precision: str, trackers: list | None = None):
    """``trackers``: accelerate tracker objects (training/tracking.py), or none."""
    from accelerate import Accelerator
    from accelerate.state import AcceleratorState

    mixed = "bf16" if precision == "bf16" else "no"
    state = AcceleratorState._shared_state
    if state and state.get("_mixed_precision") != mixed:
        # The accelerator state is a process-wide singleton that refuses a new precision; a
        # sweep that mixes precisions in one process resets it (the process group is kept).
        AcceleratorState._reset_state()
    # cpu=True on a machine without an accelerator is what makes accelerate see a torchrun
    # launch as MULTI_CPU data parallel (gloo); without it each process would train alone.
    return Accelerator(mixed_precision=mixed, cpu=not _has_accelerator(), log_with=trackers or None)


def _has_accelerator() -> bool:
    probe = getattr(torch, "accelerator", None)
    if probe is not None:
        return probe.is_available()
    return torch.cuda.is_available()


def free_memory() -> None:
    """Give back what a finished run held, so hundreds of runs fit in one process."""
    gc.collect()
    if torch.cuda.is_available():
        torch.cuda.empty_cache()


def environment(accelerator) -> dict:
    import accelerate
    import transformers

    dev = accelerator.device
    name = torch.cuda.get_device_name(dev) if dev.type == "cuda" else f"cpu x{torch.get_num_threads()} threads"
    return {"device": name, "num_processes": accelerator.num_processes,
            "versions": {"torch": torch.__version__, "transformers": transformers.__version__,
                         "accelerate": accelerate.__version__}}
