"""What one training run returns: ``RunResult``, and its one serialisation (``to_dict``).

metrics.json, a sweep store's ``result`` column and a Ray or SLURM worker's reply are all
``to_dict()``: the same keys under the same names, so stored results and reports read alike
whichever way a run was made. The fields keep the order the keys had in the dict ``train()``
returned before this class, so a metrics.json written today lists them as before.
"""
from __future__ import annotations

from dataclasses import asdict, dataclass, field


@dataclass
class RunResult:
    # the score: of the final model (never the best epoch); a diverged run scores as its broken
    # model, which predicts the first class everywhere (loop.py)
    score: float
    diverged: bool
    diverged_at_step: int | None    # the update whose loss or gradient was not finite
    optimizer_steps: int            # updates applied (the diverged one is not)
    per_epoch: list                 # [{"epoch", "loss", "score"}]; score None unless evaluated
    steps: list                     # [{"step", "epoch", "loss", "lr", "grad_norm"}] every log_every
    train_seconds: float
    train_cpu_seconds: float        # robust to other load on a shared machine
    eval_seconds: float
    train_tokens: int               # non-padding tokens seen, all processes
    padded_tokens: int
    padding_efficiency: float | None
    train_tokens_per_second: float | None
    compiled_graphs: int | None     # graphs this run compiled: 0 = reused; None = not compiled
    task: str                       # canonical name, transform and @N included
    metric: str
    model: str
    init: str | None                # the checkpoint it started from
    epochs: int
    optimizer_steps_planned: int
    warmup_steps: int
    updates_per_epoch: int
    micro_batches_per_update: int
    train_examples: int
    eval_examples: int
    data_fingerprint: dict          # split -> content fingerprint
    precision: str                  # resolved: never "auto"
    kernel: str                     # family of matrix kernels (stilts_nb/hardware.py)
    tf32: bool
    attention: str
    compile: str
    batching: str
    max_device_batch_requested: int | str  # as asked ("auto" or M); config has what was used
    transferred: list               # parameter-name prefixes loaded from the source
    new: list                       # ... and initialised fresh
    head_transferred: bool
    head_reason: str
    source: str
    source_kind: str
    config: dict                    # the TrainConfig as run (resolved settings)
    device: str
    num_processes: int
    versions: dict                  # torch, transformers, accelerate
    baseline: float                 # the score of always answering the most common label
    degenerate: bool                # diverged, or no better than the baseline
    checkpoint: str | None = None   # where the model was saved (train --save)
    family: str | None = None       # the encoder family: transformers' model_type (deberta-v2, ...)
    # the final dev scoring per example (evaluate.prediction_record): numpy arrays, kept out of
    # metrics.json and the store's result JSON; a sweep stores them in their own table
    predictions: dict | None = field(default=None, repr=False)

    def to_dict(self, predictions: bool = False) -> dict:
        """``predictions=True``: with the per-example record under "predictions", as a sweep's
        worker sends it back (the store takes it out of the result; sweeps/predictions.py)."""
        out = asdict(self)
        del out["predictions"]
        if self.checkpoint is None:  # absent unless saved, as the key always was
            del out["checkpoint"]
        if predictions and self.predictions is not None:
            out["predictions"] = self.predictions
        return out
