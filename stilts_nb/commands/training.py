"""`stilts-nb train` and `stilts-nb evaluate`."""
from __future__ import annotations

import argparse
from pathlib import Path

from ..errors import UserError


def register(subparsers) -> None:
    # every flag but the split files and the seeds comes from stilts_nb/settings.py
    from ..settings import EVAL_SETTINGS, SETTINGS, add_flags

    p = subparsers.add_parser("train", help="fine-tune a model on a task (optionally from a checkpoint)",
                              description="Fine-tune a model on one task and write DIR/metrics.json.")
    names = add_flags(p, SETTINGS)
    p.add_argument("--train-file", help="explicit training file (e.g. the CoLA re-split train.tsv)")
    _dev_file(p)
    p.set_defaults(func=run_train, settings=names)

    e = subparsers.add_parser("evaluate", help="zero-shot: score a model on a task without training",
                              description="Score a model on a task's dev set without training, "
                                          "over several head seeds when its head is new.")
    names = add_flags(e, EVAL_SETTINGS)
    _dev_file(e)
    e.add_argument("--seeds", default="12,42,87", help="comma-separated head seeds (default 12,42,87)")
    e.set_defaults(func=run_evaluate, settings=names)


def _dev_file(p: argparse.ArgumentParser) -> None:
    p.add_argument("--dev-file", help="explicit dev file (a relative path: from here if it exists, else in the data folder)")


def _settings(args) -> dict:
    return {n: getattr(args, n) for n in args.settings}


def _files(args) -> dict | None:
    """Explicit split files. On the command line a relative path that exists from the current
    folder means that file (what a shell user expects); any other relative path is taken in the
    data folder, as in sweep YAML, so `--train-file CoLA/.../train.tsv` works from anywhere."""
    files = {"train": getattr(args, "train_file", None), "dev": args.dev_file}
    files = {k: str(Path(v).resolve()) if Path(v).exists() else v for k, v in files.items() if v}
    return files or None


def run_train(args) -> int:
    from ..checks import train_args
    from ..training.config import TrainConfig
    from ..training.loop import train

    train_args(args)
    cfg = TrainConfig(**_settings(args), files=_files(args))
    r = train(cfg)
    if not _main_process():
        return 0
    if r.diverged:
        print(f"{r.task}: diverged at update {r.diverged_at_step}; scored as its broken model "
              f"(first class for every example): {r.metric} {r.score:.4f} -> {args.out}/metrics.json")
    else:
        print(f"{r.task}: {r.metric} {r.score:.4f} (final model, baseline {r.baseline:.4f}"
              f"{', degenerate' if r.degenerate else ''}) in {r.train_seconds:.1f}s "
              f"-> {args.out}/metrics.json")
    return 0


def run_evaluate(args) -> int:
    from ..checks import train_args
    from ..training.config import EvalConfig
    from ..training.score_untrained import zero_shot

    train_args(args)
    try:
        seeds = tuple(int(s) for s in args.seeds.split(",") if s.strip())
    except ValueError:
        raise UserError(f"--seeds must be comma-separated integers, got {args.seeds!r}") from None
    cfg = EvalConfig(**_settings(args), files=_files(args), seeds=seeds)
    m = zero_shot(cfg)
    if not _main_process():
        return 0
    spread = f" ± {m['score_std']:.4f} over {len(m['scores'])} head seeds" if len(m["scores"]) > 1 else ""
    print(f"{m['task']}: zero-shot {m['metric']} {m['score']:.4f}{spread} -> {args.out}/metrics.json")
    return 0


def _main_process() -> bool:
    """Under torchrun / accelerate launch every process runs the command; one reports."""
    from accelerate import PartialState

    return PartialState().is_main_process
