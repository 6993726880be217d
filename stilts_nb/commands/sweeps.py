"""`stilts-nb sweep`, `stilts-nb results` and `stilts-nb status`."""
from __future__ import annotations

import json
import shlex
import signal
import sys
import time

from ..errors import UserError


# flag (and `resources:` key with - as _), type, help
SLURM_FLAGS = (("partition", str, "SLURM partition"), ("time-min", int, "time limit per job, minutes"),
               ("mem-gb", float, "memory per job, GB"), ("account", str, "account to charge"),
               ("qos", str, "quality of service"),
               ("runs-per-job", int, "runs one job trains one after another (short runs share an allocation)"),
               ("max-in-flight", int, "runs queued or running at once (the job array's parallelism)"),
               ("shared-dir", str, "folder all nodes see, for checkpoints and job logs, when the store "
                                   "is on the driver's local disk (default: beside the store)"))


def register(sub) -> None:
    from ..settings import SWEEP_WIDE, add_flags, int_or_auto

    p = sub.add_parser("sweep", help="train every run of a sweep file that the store does not have yet")
    p.add_argument("config", help="sweep YAML, e.g. parameters/sweeps/demo_rte.yaml")
    p.add_argument("--store", help="SQLite store (default: the file's `store`, $STILTS_STORE, "
                                   "or runs/stilts.sqlite)")
    p.add_argument("--executor", choices=("local", "ray", "slurm"), default="local")
    p.add_argument("--address", help="Ray address: auto (a running cluster) or ray://host:10001")
    p.add_argument("--gpus-per-run", type=float, metavar="G",
                   help="Ray: GPUs each run asks for; 0.25 packs four runs on one GPU")
    p.add_argument("--cpus-per-run", type=float, metavar="C", help="Ray, SLURM: CPUs each run asks for")
    slurm = p.add_argument_group("SLURM job resources (override the file's `resources:`)")
    for flag, kind, what in SLURM_FLAGS:
        slurm.add_argument(f"--{flag}", type=kind, metavar=flag.split("-")[0].upper(), help=what)
    p.add_argument("--workers", type=int_or_auto, metavar="N|auto",
                   help="local: train N runs at once in worker processes of cores/N threads each; "
                        "auto chooses from cores and free memory and says why (default: the file's, else 1)")
    p.add_argument("--dry-run", action="store_true", help="count new/done/failed runs and estimate the cost")
    p.add_argument("--retry-failed", action="store_true", help="train failed runs again")
    p.add_argument("--no-wait", action="store_true",
                   help="leave runs another live process is training to it instead of waiting")
    p.add_argument("--json", action="store_true", help="machine-readable dry-run / summary")
    p.add_argument("--no-progress", action="store_true")
    group = p.add_argument_group("sweep-wide run settings (override the file's)")
    p.set_defaults(func=run_sweep_cmd, settings=add_flags(group, SWEEP_WIDE, override=True))

    p = sub.add_parser("results", help="the runs in a store, as a table, CSV or JSON")
    p.add_argument("--store")
    p.add_argument("--format", choices=("table", "csv", "json", "jsonl"), default="table",
                   help="table, csv or json; with --predictions: csv (the default) or jsonl")
    p.add_argument("--where", action="append", default=[],
                   help="key=value or a pandas query (\"lr < 2e-5\"); repeatable, all must hold")
    p.add_argument("--predictions", nargs="+", metavar="RUN_ID",
                   help="instead of the runs: these runs' per-example predictions (an id or a unique "
                        "prefix): example, example_id, gold, prediction, correct, scores")
    p.add_argument("--out", metavar="FILE", help="with --predictions: write here, not to stdout")
    p.set_defaults(func=run_results)

    p = sub.add_parser("status", help="runs by status, runs in flight, the last error")
    p.add_argument("--store")
    p.add_argument("--watch", nargs="?", type=float, const=10.0, metavar="SECONDS",
                   help="redraw every SECONDS (default 10) until the sweep is over or Ctrl-C")
    p.set_defaults(func=run_status)


def run_sweep_cmd(args) -> int:
    from ..checks import small_text_file
    from ..sweeps.config import load_sweep
    from ..sweeps.packing import with_flags
    from ..sweeps.run import dry_run, format_dry_run, run_sweep

    small_text_file(args.config, "a sweep file")
    sweep = load_sweep(args.config, {n: getattr(args, n) for n in args.settings if hasattr(args, n)})
    sweep.resources = with_flags(sweep.resources, args.gpus_per_run, args.cpus_per_run)
    for flag, _, _ in SLURM_FLAGS:
        value = getattr(args, flag.replace("-", "_"))
        if value is not None:
            if isinstance(value, (int, float)) and value <= 0:
                raise UserError(f"--{flag} must be positive, got {value:g}")
            sweep.resources[flag.replace("-", "_")] = value
    if isinstance(args.workers, int) and args.workers < 1:
        raise UserError(f"--workers must be a positive integer or auto, got {args.workers}")
    if args.dry_run:
        d = dry_run(sweep, args.store)
        print(json.dumps(d, indent=1, default=str) if args.json else format_dry_run(d))
        return 0
    # SLURM and `kill` send SIGTERM: give the runs in flight back cleanly, as Ctrl-C does; and
    # Ctrl-C itself even where the shell started us with SIGINT ignored (a background job)
    signal.signal(signal.SIGTERM, _terminate)
    signal.signal(signal.SIGINT, signal.default_int_handler)
    # the way back in after a stop is the command as typed: same file, store and flags
    again = shlex.join(["stilts-nb", *sys.argv[1:]])
    s = run_sweep(sweep, args.store, executor=args.executor, address=args.address,
                  retry_failed=args.retry_failed, wait=not args.no_wait,
                  progress=not args.no_progress, resume=again, workers=args.workers)
    if args.json:
        print(json.dumps(s))
    else:
        parts = ", ".join(f"{v} {k}" for k, v in s.items() if k not in ("total", "store"))
        print(f"sweep {sweep.name}: {s['total']} runs: {parts}; store {s['store']}")
        if s.get("lost"):
            print(f"{s.get('lost', 0)} run(s) lost with their jobs and {s.get('blocked', 0)} waiting on "
                  f"them are pending again; to train them: {again}")
        undone = {k: s.get(k, 0) for k in ("failed", "skipped failed", "blocked") if s.get(k)}
        if undone:
            print(f"{', '.join(f'{v} {k}' for k, v in undone.items())}: see `stilts-nb status --store "
                  f"{s['store']}` for the errors; a run that failed for a passing cause (a full disk, a "
                  f"killed worker) is retried by the same command once the cause is gone: {again}; "
                  f"to retry every failed run: {again} --retry-failed")
    # a sweep that left runs undone (failed, blocked behind a failure, or lost with a killed
    # job) is not a success, whether this command or an earlier one saw them fail
    return 1 if any(s.get(k) for k in ("failed", "lost", "blocked", "skipped failed")) else 0


def _terminate(signum, frame):
    raise KeyboardInterrupt


def run_results(args) -> int:
    from ..sweeps.run import store_path
    from ..sweeps.tidy import TABLE, results

    if args.predictions or args.out:
        return _export_predictions(args, store_path(None, args.store))
    df = results(store_path(None, args.store), where=args.where)
    if args.format == "csv":
        flat = df.copy()
        for col in flat.columns:
            if flat[col].map(lambda v: isinstance(v, (list, dict))).any():
                flat[col] = flat[col].map(lambda v: json.dumps(v) if isinstance(v, (list, dict)) else v)
        flat.to_csv(sys.stdout, index=False)
    elif args.format == "json":
        print(df.to_json(orient="records", date_format="iso", indent=1))
    elif args.format == "jsonl":
        print(df.to_json(orient="records", date_format="iso", lines=True), end="")
    else:
        if df.empty:
            print("no runs match")
            return 0
        with _pd_options():
            print(df[TABLE].to_string(index=False, float_format=lambda x: f"{x:.4g}"))
    return 0


def _export_predictions(args, path) -> int:
    from ..sweeps.predictions import export, predictions

    if not args.predictions:
        raise UserError("--out is for --predictions RUN_ID...")
    if args.where:
        raise UserError("--where selects runs for the table; --predictions names them by id")
    if args.format not in ("table", "csv", "jsonl"):
        raise UserError(f"--predictions: --format csv or jsonl, not {args.format}")
    if args.out:
        from pathlib import Path

        from ..checks import writable_dir

        folder = writable_dir(Path(args.out).resolve().parent, "--out")
        folder.mkdir(parents=True, exist_ok=True)
    df = predictions(path, args.predictions)
    export(df, "csv" if args.format == "table" else args.format, args.out or sys.stdout)
    return 0


def run_status(args) -> int:
    from ..sweeps.run import store_path

    path = store_path(None, args.store)
    if not args.watch:
        _print_status(path)
        return 0
    if args.watch <= 0:
        raise UserError(f"--watch must be positive seconds, got {args.watch:g}")
    try:
        if not path.exists():  # started beside a sweep that has not created its store yet
            print(f"waiting for {path} to be created (Ctrl-C to stop)", flush=True)
            while not path.exists():
                time.sleep(args.watch)
        while True:
            print(time.strftime("%H:%M:%S"), end=" ")
            if not _print_status(path):  # nothing pending or running: the sweep is over
                return 0
            time.sleep(args.watch)
    except KeyboardInterrupt:
        print("stopped watching (the sweep, if any, goes on)")
        return 0


def _print_status(path) -> int:
    """Print the store's status; returns how many runs are still pending or running."""
    from ..sweeps.store import Store, owner_alive

    with Store(path, create=False) as s:
        counts = s.counts()
        total = sum(counts.values())
        print(f"store {s.path}: {total} runs: " + ", ".join(
            f"{counts.get(k, 0)} {k}" for k in ("done", "diverged", "failed", "running", "pending"))
            + _eta(s, counts))
        _print_stale(s)
        rows = s.db.execute("SELECT id, task, intermediate, role, owner, heartbeat, lease_expires "
                            "FROM runs WHERE status='running' ORDER BY started_at").fetchall()
        now = time.time()
        for r in rows:
            alive = owner_alive(r["owner"])
            state = ("live" if alive or (alive is None and (r["lease_expires"] or 0) > now)
                     else "stale (its process is gone; the next sweep redoes it)")
            beat = f"{now - r['heartbeat']:.0f}s ago" if r["heartbeat"] else "never"
            what = r["task"] if r["role"] == "intermediate" else f"{r['intermediate']}->{r['task']}"
            print(f"  in flight: {r['id']} {what} by {r['owner']}, heartbeat {beat}, {state}")
        last = s.db.execute("SELECT id, task, error, finished_at FROM runs WHERE status='failed' "
                            "ORDER BY finished_at DESC LIMIT 1").fetchone()
        if last:
            err = (last["error"] or "").strip().splitlines()
            print(f"last error: run {last['id']} ({last['task']}): {err[0] if err else '?'}")
    return counts.get("pending", 0) + counts.get("running", 0)


def _eta(store, counts: dict) -> str:
    """'; ETA 1h05m': the runs left times the mean measured run time, over the runs in flight."""
    left, running = counts.get("pending", 0) + counts.get("running", 0), counts.get("running", 0)
    mean = store.db.execute("SELECT AVG(wall_seconds) FROM runs WHERE wall_seconds IS NOT NULL").fetchone()[0]
    if not left or not mean:
        return ""
    seconds = int(left * mean / max(1, running))
    eta = (f"{seconds // 3600}h{seconds % 3600 // 60:02d}m" if seconds >= 3600
           else f"{seconds // 60}m{seconds % 60:02d}s")
    return f"; ETA {eta} (mean run {mean:.0f} s, {max(1, running)} at once)"


def _print_stale(store) -> None:
    """Finished runs a sweep would not reuse today, counted by reason: they stay in the store,
    readable, but are not the results of the code and task definitions installed now."""
    from collections import Counter

    from ..sweeps.identity import stale_reason

    reasons = Counter()
    for (identity,) in store.db.execute("SELECT identity FROM runs WHERE status IN ('done', 'diverged')"):
        why = stale_reason(json.loads(identity))
        if why:
            reasons[why] += 1
    if reasons:
        print(f"stale: {sum(reasons.values())} finished runs are kept but no longer reused "
              "(`stilts-nb results --where \"stale != ''\"` lists them):")
        for why, n in reasons.most_common():
            print(f"  {n}: {why}")


class _pd_options:
    def __enter__(self):
        import pandas as pd

        self._ctx = pd.option_context("display.width", 200, "display.max_rows", 500)
        self._ctx.__enter__()

    def __exit__(self, *exc):
        self._ctx.__exit__(*exc)
