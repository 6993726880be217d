"""Dev-set scoring: predictions, accuracy and Matthews correlation, the degenerate baseline, and
metrics.json. A leaf of the training package: it imports nothing that trains."""
from __future__ import annotations

import json
import math
from pathlib import Path

import numpy as np
import torch
from tqdm.auto import tqdm

from . import batching


def score(metric: str, preds, labels) -> float:
    preds, labels = np.asarray(preds), np.asarray(labels)
    if metric == "accuracy":
        return float((preds == labels).mean()) if len(labels) else 0.0
    if metric == "mcc":
        return matthews(preds, labels)
    raise ValueError(f"unknown metric {metric!r}")


def matthews(preds: np.ndarray, labels: np.ndarray) -> float:
    """Matthews correlation (multi-class form, = the binary phi coefficient for 2 classes).

    Written out because scikit-learn is not a dependency; 0.0 when undefined (a constant
    prediction), as GLUE's scorer reports it.
    """
    classes = np.union1d(preds, labels)
    conf = np.zeros((len(classes), len(classes)), dtype=np.float64)
    np.add.at(conf, (np.searchsorted(classes, labels), np.searchsorted(classes, preds)), 1)
    t, p = conf.sum(axis=1), conf.sum(axis=0)
    n, c = conf.sum(), np.trace(conf)
    denom = math.sqrt((n * n - (p * p).sum()) * (n * n - (t * t).sum()))
    return float((c * n - (t * p).sum()) / denom) if denom > 0 else 0.0


def constant_prediction_score(metric: str, labels) -> float:
    """The score of a diverged run's model: NaN logits make argmax pick index 0 for every
    example (torch's argmax returns the first NaN), i.e. the first class or the first choice."""
    return score(metric, np.zeros(len(labels), dtype=np.int64), labels)


def baseline(task, labels) -> float:
    """What a run must beat not to be degenerate: the most common answer's share of the
    evaluated dev labels (classification and multiple choice), 0 for MCC."""
    from ..tasks import majority_share

    return majority_share(task, list(labels))


def predict(model, examples, collate, batch_size: int, accelerator, progress: bool = True) -> np.ndarray:
    """Predicted label per dev example, in dataset order, from all processes together."""
    return predict_scored(model, examples, collate, batch_size, accelerator, progress)[0]


def predict_scored(model, examples, collate, batch_size: int, accelerator,
                   progress: bool = True) -> tuple[np.ndarray, np.ndarray]:
    """-> (prediction per example, its logits per class or choice as float32), in dataset order,
    from all processes together. The logits are what a per-example record keeps
    (``prediction_record``): the argmax alone cannot tell a near tie from a sure answer."""
    from accelerate.utils import gather_object

    rank, world = accelerator.process_index, accelerator.num_processes
    batches = batching.eval_batches(examples.lengths, batch_size, rank, world)
    was_training = model.training
    model.eval()
    mine = []
    bar = tqdm(batches, desc="eval", leave=False, disable=not (progress and accelerator.is_main_process))
    with torch.inference_mode():
        for idx in bar:
            batch = collate([examples.rows[i] for i in idx])
            batch.pop("labels")
            batch = {k: v.to(accelerator.device) for k, v in batch.items()}
            logits = model(**batch).logits
            mine.extend(zip(idx, logits.argmax(-1).tolist(), logits.float().cpu().tolist()))
    model.train(was_training)
    triples = gather_object(mine) if world > 1 else mine
    preds = np.empty(len(examples), dtype=np.int64)
    scores = np.empty((len(examples), len(triples[0][2]) if triples else 0), dtype=np.float32)
    for i, p, row in triples:
        preds[i], scores[i] = p, row
    return preds, scores


def prediction_record(examples, preds: list, scores: list | None, seeds: list) -> dict:
    """What a run keeps of its final dev scoring, one entry per example (sweeps/predictions.py
    stores it beside the run's result): the example's position in the scored dev set and the
    task's own id, the gold label, and per scoring (one; or one per head seed of a zero-shot
    score) the prediction and the logits. ``scores=None``: a diverged run, whose broken model
    answers the first class everywhere (constant_prediction_score) and has no finite logits."""
    return {"example_id": np.asarray(examples.ids if examples.ids else [str(i) for i in range(len(examples))]),
            "gold": np.asarray(examples.labels, dtype=np.int64),
            "prediction": np.stack([np.asarray(p, dtype=np.int64) for p in preds]),
            "scores": None if scores is None else np.stack(scores).astype(np.float32),
            "seeds": np.asarray(seeds, dtype=np.int64)}


def write_metrics(out, result: dict) -> Path:
    folder = Path(out)
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / "metrics.json"
    tmp = path.with_suffix(".json.tmp")
    tmp.write_text(json.dumps(result, indent=2, default=str) + "\n")
    tmp.replace(path)  # atomic: a reader never sees half a file
    return path
