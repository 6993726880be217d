"""``max_device_batch: auto``: the largest micro-batch that fits the device, found by backing off.

Before the first update, a forward and backward pass runs on the run's *longest* training rows
at the largest micro-batch that could be useful (the per-process share of the effective batch);
on out-of-memory the size is halved and tried again. Memory that training holds and the probe
would not (AdamW's two moment buffers, allocated at the first update) is reserved during the
probe, so the size found also fits then. The effective batch is unchanged: loop.py accumulates
micro-batches into it, so the size changes float rounding only, not the run's identity.

The probe leaves no trace on the run: gradients are dropped, the random streams (dropout) are
restored, and with several processes all of them take the smallest size any of them could fit.
"""
from __future__ import annotations

import math

import torch
import torch.nn.functional as F


def is_out_of_memory(err: BaseException) -> bool:
    if isinstance(err, torch.OutOfMemoryError):
        return True
    text = str(err)
    return isinstance(err, RuntimeError) and ("out of memory" in text or "can't allocate memory" in text)


def fit(model, examples, collate, batch_size: int, accelerator) -> int:
    """The largest micro-batch (per process) that survives a forward/backward of the longest rows."""
    world, device = accelerator.num_processes, accelerator.device
    size = math.ceil(batch_size / world)
    longest = sorted(range(len(examples)), key=lambda i: -examples.lengths[i])
    params = sum(p.numel() for p in model.parameters() if p.requires_grad)
    devices = [device] if device.type == "cuda" else []
    with torch.random.fork_rng(devices=devices):
        while True:
            ok = _try(model, examples, collate, longest, size, params, accelerator)
            if world > 1:  # every process must use the same size: any failure backs all off
                failed = accelerator.reduce(torch.tensor([0.0 if ok else 1.0], device=device), "sum")
                ok = float(failed) == 0.0
            if ok:
                return size
            if size == 1:
                raise torch.OutOfMemoryError("max_device_batch auto: even a micro-batch of 1 does "
                                             "not fit this device; use a shorter max length")
            size = max(1, size // 2)


def _try(model, examples, collate, longest, size, params, accelerator) -> bool:
    idx = (longest * math.ceil(size / len(longest)))[:size]
    reserve = None
    try:
        if accelerator.device.type == "cuda":  # AdamW's exp_avg and exp_avg_sq, fp32
            reserve = torch.empty(2 * params, dtype=torch.float32, device=accelerator.device)
        inputs = collate([examples.rows[j] for j in idx])
        labels = inputs.pop("labels").to(accelerator.device)
        inputs = {k: v.to(accelerator.device) for k, v in inputs.items()}
        with accelerator.no_sync(model):  # no gradient all-reduce for a probe
            loss = F.cross_entropy(model(**inputs).logits.float(), labels)
            accelerator.backward(loss)
        return True
    except (RuntimeError, torch.OutOfMemoryError) as err:
        if not is_out_of_memory(err):
            raise
        return False
    finally:
        del reserve
        model.zero_grad(set_to_none=True)
        if torch.cuda.is_available():
            torch.cuda.empty_cache()
