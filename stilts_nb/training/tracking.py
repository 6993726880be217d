"""Live experiment tracking through accelerate's trackers: TensorBoard, W&B or MLflow.

A tracker is a view of a run, never its record: the store (or metrics.json) is the source of
truth, so every tracker call here swallows the tracker's errors (one warning, then silence) and
a tracker that fails never fails a run. Nothing is imported, installed or contacted unless
``log_with`` asks for it, and everything is offline by default: TensorBoard event files and an
MLflow file store (``mlruns/``; set ``MLFLOW_TRACKING_URI`` for a server) under ``tracking_dir``,
W&B in offline mode unless ``WANDB_MODE`` says otherwise.

Names: ``run_name`` is ``group / rest`` (a sweep: ``smoke / wic / synthesis / lr1e-05 bs16 w0.2
s42``); the group is the sweep, so TensorBoard shows one folder per sweep, W&B one group and
MLflow one experiment.
"""
from __future__ import annotations

import os
import sys
from pathlib import Path

KINDS = ("tensorboard", "wandb", "mlflow")


def readable_name(config: dict, intermediate: str | None = None) -> str:
    """``task / intermediate / lr1e-05 bs16 w0.2 s42``: what a person scans a run list for."""
    head = f"{config['task']} / {intermediate}" if intermediate else f"{config['task']}"
    return (f"{head} / lr{config['lr']:g} bs{config['batch_size']} "
            f"w{config['warmup_ratio']:g} s{config['seed']}")


def make_trackers(kind: str | None, root, run_name: str) -> list:
    """accelerate tracker objects for one run (none when ``kind`` is unset)."""
    if not kind:
        return []
    from accelerate import tracking

    root = Path(root)
    group, _, rest = run_name.partition(" / ")
    rest = rest or group
    if kind == "tensorboard":  # one folder per run, nested by the name's parts
        return [tracking.TensorBoardTracker("/".join(p.strip() for p in run_name.split(" / ")), root)]
    if kind == "wandb":
        return [tracking.WandBTracker("stilts-nb", name=rest, group=group, dir=str(root),
                                      mode=os.environ.get("WANDB_MODE", "offline"))]
    if kind == "mlflow":
        if "MLFLOW_TRACKING_URI" not in os.environ:
            # MLflow's file store: offline and no database package needed (mlflow-skinny has
            # none); MLflow 3 keeps it in maintenance mode and wants this opt-in to use it
            os.environ["MLFLOW_TRACKING_URI"] = (root / "mlruns").resolve().as_uri()
            os.environ.setdefault("MLFLOW_ALLOW_FILE_STORE", "true")
        return [tracking.MLflowTracker(experiment_name=group, run_name=rest)]
    raise ValueError(f"unknown tracker {kind!r}")  # settings.py only lets KINDS through


def trackers_for(config) -> list:
    """The trackers a TrainConfig asks for: under ``tracking_dir``, else ``out``/tracking."""
    if not config.log_with:
        return []
    root = config.tracking_dir or (Path(config.out) / "tracking" if config.out else Path("tracking"))
    return make_trackers(config.log_with, root, config.run_name or readable_name(config.to_dict()))


def start(accelerator, config) -> "RunTracking":
    """Open the run in its trackers, with its settings as hyperparameters."""
    if not getattr(accelerator, "log_with", None):
        return OFF
    name = config.run_name or readable_name(config.to_dict())
    hparams = {k: v for k, v in config.to_dict().items() if k not in ("out", "progress", "run_name")}
    return RunTracking(accelerator, hparams, name.partition(" / ")[0])


class RunTracking:
    """One run's trackers on an Accelerator made with ``log_with=make_trackers(...)``."""

    def __init__(self, accelerator, hparams: dict, group: str):
        self.accelerator = accelerator
        self.on = bool(getattr(accelerator, "log_with", None))
        if self.on:
            self._safely(accelerator.init_trackers, group, config=_flat(hparams))

    def log(self, values: dict, step: int) -> None:
        if self.on:
            self._safely(self.accelerator.log, values, step=step)

    def finish(self, values: dict | None = None, step: int | None = None) -> None:
        if self.on:
            if values:
                self.log(values, step)
            self._safely(self.accelerator.end_training)
            self.on = False

    def _safely(self, call, *args, **kwargs) -> None:
        try:
            call(*args, **kwargs)
        except Exception as err:  # noqa: BLE001 -- a view failing must not cost the run
            print(f"warning: experiment tracking stopped for this run "
                  f"({type(err).__name__}: {str(err)[:200]}); the run goes on", file=sys.stderr)
            self.on = False


def _flat(hparams: dict) -> dict:
    # trackers take numbers, strings and booleans as hyperparameters; None and lists are spelled
    return {k: v if isinstance(v, (int, float, str, bool)) else str(v) for k, v in hparams.items()}


class _Off(RunTracking):
    """No tracker asked for: every call does nothing."""

    def __init__(self):
        self.on = False


OFF = _Off()
