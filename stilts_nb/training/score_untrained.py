"""Zero-shot evaluation: score a model on a task's dev set without training, over head seeds."""
from __future__ import annotations

import statistics
import time
from dataclasses import replace

from .. import hardware
from ..errors import UserError
from . import batching, data, models
from .device import environment, free_memory, make_accelerator
from .evaluate import baseline, predict_scored, prediction_record, score, write_metrics


def zero_shot(config) -> dict:
    """Score a model on a task without training, once per head seed.

    A model whose head transfers (a multiple-choice checkpoint on a multiple-choice task) gives
    the same score for every seed, so it is scored once; otherwise the score depends on the
    random head (the paper's None row of Table 4) and we report mean and spread over seeds.
    """
    config.validate()
    if config.max_device_batch == "auto":  # the back-off probes a training step (microbatch.py)
        raise UserError("max device batch auto is for training; give evaluation a number")
    config = replace(config, precision=hardware.resolve_precision(config.precision))
    task, tokenizer, base = data.resolve(config.task, config.model)
    accelerator = make_accelerator(config.precision)
    dev = data.split(task, "dev", tokenizer, config, config.eval_limit)
    collate = batching.make_collator(tokenizer, task.kind, config.pad_to_multiple_of)
    start = time.perf_counter()
    scores, record, per_seed = [], None, []
    for seed in config.seeds:
        model, record = models.build(task, base, seed)
        model = accelerator.prepare(model)
        preds, logits = predict_scored(model, dev, collate, config.max_device_batch, accelerator,
                                       config.progress)
        scores.append(score(task.metric, preds, dev.labels))
        per_seed.append((preds, logits))
        accelerator.free_memory(model)
        del model
        free_memory()
        if record["head_transferred"]:
            break
    base_score = baseline(task, dev.labels)
    mean = statistics.fmean(scores)
    result = {
        "task": task.name, "metric": task.metric, "model": config.model, "zero_shot": True,
        "score": mean, "score_std": statistics.pstdev(scores) if len(scores) > 1 else 0.0,
        "score_min": min(scores), "score_max": max(scores), "scores": scores,
        "seeds": list(config.seeds[:len(scores)]), "baseline": base_score,
        "degenerate": mean <= base_score, "diverged": False, "per_epoch": [], "steps": [],
        "train_seconds": 0.0, "train_tokens": 0, "eval_seconds": time.perf_counter() - start,
        "eval_examples": len(dev), "transferred": record["transferred"], "new": record["new"],
        "head_transferred": record["head_transferred"],
        "head_reason": record["head_reason"], "family": record["family"], "precision": config.precision,
        "kernel": hardware.kernel_family(),
        "config": config.to_dict(), **environment(accelerator),
        # every head seed's predictions and logits (a sweep store keeps them beside the score)
        "predictions": prediction_record(dev, [p for p, _ in per_seed], [lg for _, lg in per_seed],
                                         list(config.seeds[:len(scores)])),
    }
    if config.out and accelerator.is_main_process:
        write_metrics(config.out, {k: v for k, v in result.items() if k != "predictions"})
    free_memory()
    return result
