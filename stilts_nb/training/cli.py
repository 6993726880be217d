"""`stilts-nb train` and `stilts-nb evaluate`."""
from __future__ import annotations

import argparse
from pathlib import Path

from ..errors import UserError


def register(subparsers) -> None:
    p = subparsers.add_parser("train", help="fine-tune a model on a task (optionally from a checkpoint)",
                              description="Fine-tune a model on one task and write DIR/metrics.json.")
    _common(p)
    p.add_argument("--init", metavar="CHECKPOINT", help="start from this checkpoint (a `train --save` folder)")
    p.add_argument("--lr", type=float, required=True, help="peak learning rate")
    p.add_argument("--batch-size", type=int, required=True, help="effective batch size (per optimizer update)")
    p.add_argument("--warmup-ratio", type=float, required=True, help="warmup fraction of all updates, in [0, 1)")
    p.add_argument("--seed", type=int, required=True, help="fixes the new head's init and the data order")
    p.add_argument("--epochs", type=int, help="default: the task's (authors' scripts)")
    p.add_argument("--train-limit", type=int, metavar="N", help="train on the first N examples")
    p.add_argument("--batching", choices=("random", "length"), default="random",
                   help="random: the authors' sampler (default); length: seeded length-grouped batches")
    p.add_argument("--keep-head", action="store_true",
                   help="classification -> classification: keep a checkpoint head whose shape fits")
    p.add_argument("--dropout", type=float, help="override every dropout probability")
    p.add_argument("--eval-each-epoch", action="store_true", help="also score dev after each epoch")
    p.add_argument("--log-every", type=int, default=10, metavar="N",
                   help="record the training loss every N optimizer updates (default 10)")
    p.add_argument("--train-file", help="explicit training file (e.g. the CoLA re-split train.tsv)")
    p.add_argument("--save", action="store_true", help="save the final model to --out (safetensors)")
    p.set_defaults(func=run_train)

    e = subparsers.add_parser("evaluate", help="zero-shot: score a model on a task without training",
                              description="Score a model on a task's dev set without training, "
                                          "over several head seeds when its head is new.")
    _common(e)
    e.add_argument("--seeds", default="12,42,87", help="comma-separated head seeds (default 12,42,87)")
    e.set_defaults(func=run_evaluate)


def _common(p: argparse.ArgumentParser) -> None:
    p.add_argument("--task", required=True, help="task name, e.g. wic, winogrande_xs, hellaswag-p@2000")
    p.add_argument("--model", required=True, help="pkg:NAME, tiny:bert, hub id or folder")
    p.add_argument("--max-length", type=int, help="default: the task's")
    p.add_argument("--max-device-batch", type=int, default=32, metavar="M",
                   help="largest micro-batch per device; above it gradients are accumulated")
    p.add_argument("--eval-limit", type=int, metavar="N", help="score on the first N dev examples")
    p.add_argument("--precision", choices=("fp32", "bf16"), default="fp32")
    p.add_argument("--pad-to-multiple-of", type=int, default=8, metavar="K")
    p.add_argument("--data-dir", help="folder with one sub-folder per dataset (default $STILTS_DATA_DIR)")
    p.add_argument("--dev-file", help="explicit dev file (a relative path: from here if it exists, else in the data folder)")
    p.add_argument("--out", required=True, metavar="DIR", help="where metrics.json (and a checkpoint) go")
    p.add_argument("--no-progress", dest="progress", action="store_false", help="no progress bars")


def _files(args) -> dict | None:
    """Explicit split files. On the command line a relative path that exists from the current
    folder means that file (what a shell user expects); any other relative path is taken in the
    data folder, as in sweep YAML, so `--train-file CoLA/.../train.tsv` works from anywhere."""
    files = {"train": getattr(args, "train_file", None), "dev": args.dev_file}
    files = {k: str(Path(v).resolve()) if Path(v).exists() else v for k, v in files.items() if v}
    return files or None


def run_train(args) -> int:
    from ..checks import train_args
    from .config import TrainConfig
    from .loop import train

    train_args(args)
    cfg = TrainConfig(task=args.task, model=args.model, init=args.init, lr=args.lr,
                      batch_size=args.batch_size, warmup_ratio=args.warmup_ratio, seed=args.seed,
                      epochs=args.epochs, max_length=args.max_length,
                      max_device_batch=args.max_device_batch, train_limit=args.train_limit,
                      eval_limit=args.eval_limit, precision=args.precision, batching=args.batching,
                      pad_to_multiple_of=args.pad_to_multiple_of, keep_head=args.keep_head,
                      dropout=args.dropout, eval_each_epoch=args.eval_each_epoch,
                      log_every=args.log_every, data_dir=args.data_dir, files=_files(args),
                      out=args.out, save=args.save, progress=args.progress)
    m = train(cfg)
    if not _main_process():
        return 0
    if m["diverged"]:
        print(f"{m['task']}: diverged at update {m['diverged_at_step']} (recorded) -> {args.out}/metrics.json")
    else:
        print(f"{m['task']}: {m['metric']} {m['score']:.4f} (final model, baseline {m['baseline']:.4f}"
              f"{', degenerate' if m['degenerate'] else ''}) in {m['train_seconds']:.1f}s "
              f"-> {args.out}/metrics.json")
    return 0


def run_evaluate(args) -> int:
    from ..checks import train_args
    from .config import EvalConfig
    from .evaluate import zero_shot

    train_args(args)
    try:
        seeds = tuple(int(s) for s in args.seeds.split(",") if s.strip())
    except ValueError:
        raise UserError(f"--seeds must be comma-separated integers, got {args.seeds!r}") from None
    cfg = EvalConfig(task=args.task, model=args.model, seeds=seeds, eval_limit=args.eval_limit,
                     max_length=args.max_length, max_device_batch=args.max_device_batch,
                     precision=args.precision, pad_to_multiple_of=args.pad_to_multiple_of,
                     data_dir=args.data_dir, files=_files(args), out=args.out, progress=args.progress)
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
