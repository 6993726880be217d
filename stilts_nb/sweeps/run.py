"""Drive a sweep: plan it, skip what the store already has, train the rest, record every outcome.

The driver is the only writer of the store in a sweep. For each run it takes a lease (claim),
submits it, and records the outcome when it returns; a heartbeat thread keeps the leases of runs
in flight alive. Targets wait for their intermediate's checkpoint. A run another live process is
training is waited for (or, with ``wait=False``, left to it). A failed run is recorded and the
sweep goes on; its targets are reported as blocked. Ctrl-C gives the runs in flight back as
pending (they are redone next time) and stops.
"""
from __future__ import annotations

import shutil
import subprocess
import threading
import time
from collections import Counter
from dataclasses import replace
from pathlib import Path

from tqdm.auto import tqdm

from .. import checks
from ..errors import UserError
from .config import Sweep
from . import faults
from .cost import estimate
from .executors import make_executor
from .plan import expand
from .store import FINISHED, LEASE_SECONDS, Store, default_path, this_owner


def store_path(sweep: Sweep | None, explicit=None) -> Path:
    return Path(explicit or (sweep.store if sweep and sweep.store else None) or default_path())


def dry_run(sweep: Sweep, store=None) -> dict:
    """Counts (new / done / failed / running) per study and overall, and the estimated cost.
    Opens the store read-only in spirit: a missing store is not created."""
    plan = expand(sweep, strict=False)
    path = store_path(sweep, store)
    statuses = {}
    if path.exists():
        with Store(path, create=False) as s:
            statuses = s.statuses(r.id for r in plan.runs)
    by_id = plan.by_id()

    def count(ids):
        c = Counter(_bucket(statuses.get(i)) for i in ids)
        return {k: c.get(k, 0) for k in ("new", "done", "failed", "running")}

    studies, seen = [], set()
    for name, ids in plan.studies.items():
        unique = list(dict.fromkeys(ids))
        fresh = [i for i in unique if i not in seen]
        seen.update(unique)
        studies.append({"study": name, "runs": len(unique), "shared_with_earlier": len(unique) - len(fresh),
                        "added": len(fresh), **count(fresh)})
    inter = [r.id for r in plan.runs if r.role == "intermediate"]
    todo = [by_id[i] for i in by_id if _bucket(statuses.get(i)) != "done"]
    return {
        "sweep": sweep.name, "path": sweep.path, "store": str(path), "studies": studies,
        "intermediates": {"runs": len(inter), **count(inter)},
        "targets": {"runs": len(plan.runs) - len(inter), **count(r.id for r in plan.runs if r.role == "target")},
        "total": {"runs": len(plan.runs), **count(by_id)},
        "cost_all": estimate(plan), "cost_todo": estimate(plan, todo),
        "missing": plan.missing,
    }


def _bucket(status) -> str:
    if status is None or status == "pending":
        return "new"
    return "done" if status in FINISHED else status


def format_dry_run(d: dict) -> str:
    lines = [f"sweep {d['sweep']} ({d['path']}), store {d['store']}",
             f"{'study':<22}{'runs':>7}{'shared':>8}{'added':>7}{'new':>7}{'done':>7}{'failed':>8}{'running':>9}"]
    for s in d["studies"]:
        lines.append(f"{s['study']:<22}{s['runs']:>7}{s['shared_with_earlier']:>8}{s['added']:>7}"
                     f"{s['new']:>7}{s['done']:>7}{s['failed']:>8}{s['running']:>9}")
    for key in ("intermediates", "targets", "total"):
        c = d[key]
        lines.append(f"{key:<22}{c['runs']:>7}{'':>8}{'':>7}{c['new']:>7}{c['done']:>7}"
                     f"{c['failed']:>8}{c['running']:>9}")
    a, t = d["cost_all"], d["cost_todo"]
    lines.append(f"estimated cost: {t['hours']:.1f} device-hours still to run ({a['hours']:.1f} for "
                 f"the whole sweep), assuming {a['tflops']:g} effective TFLOP/s ({a['basis']}), a "
                 f"{a['params'] / 1e6:.0f}M-parameter model, every sequence at max length, and "
                 f"{a['overhead_s']:g} s overhead per run")
    if d["missing"]:
        lines.append("data not on this machine (its runs count as new; identities are provisional "
                     "and a real run refuses until the data is there):")
        from ..tasks import get_task

        groups = {}  # one line per dataset: hellaswag, hellaswag-p, hellaswag-p@2000 share files
        for task, why in d["missing"].items():
            groups.setdefault(get_task(task).base, ([], why))[0].append(task)
        for base, (tasks, why) in groups.items():
            why = why.split(": ", 1)[-1].split(". ")[0]
            lines.append(f"  {', '.join(tasks)}: {why[:160]}")
    return "\n".join(lines)


def git_commit() -> str | None:
    here = Path(__file__).resolve().parent
    try:
        head = subprocess.run(["git", "-C", str(here), "rev-parse", "HEAD"], capture_output=True,
                              text=True, timeout=10).stdout.strip()
        dirty = subprocess.run(["git", "-C", str(here), "status", "--porcelain", "--untracked-files=no"],
                               capture_output=True, text=True, timeout=10).stdout.strip()
    except (OSError, subprocess.SubprocessError):
        return None
    return (head + ("+dirty" if dirty else "")) or None


class Heartbeat(threading.Thread):
    """Extends the leases of this driver's runs in flight, on its own connection."""

    def __init__(self, path: Path, owner: str, lease: float):
        super().__init__(daemon=True, name="stilts-heartbeat")
        self.path, self.owner, self.lease = path, owner, lease
        self.ids: set = set()
        self.lock = threading.Lock()
        self.stopped = threading.Event()

    def run(self) -> None:
        store = Store(self.path)
        try:
            while not self.stopped.wait(self.lease / 4):
                with self.lock:
                    ids = list(self.ids)
                if ids:
                    store.heartbeat(ids, self.owner, self.lease)
        finally:
            store.close()

    def track(self, run_id: str, on: bool) -> None:
        with self.lock:
            (self.ids.add if on else self.ids.discard)(run_id)


def run_sweep(sweep: Sweep, store=None, *, executor: str = "local", address: str | None = None,
              retry_failed: bool = False, wait: bool = True, progress: bool = True,
              lease: float = LEASE_SECONDS, poll: float = 2.0, log=print, plan=None,
              resume: str | None = None, workers=None) -> dict:
    # workers: runs at once in a local process pool (a number or auto; default the sweep's)
    # `plan`: the caller's expand(sweep), so a notebook that also reads sizes and ids off the plan
    # fingerprints the data files once; everything that can be refused is refused in expand()
    checks.tracker(sweep.run_setting("log_with"), f"{sweep.path}: log_with")  # from a file, flag or notebook
    plan = plan or expand(sweep)
    path = store_path(sweep, store)
    checks.sweep(sweep.model, path, executor)  # ... and before the store gets a row
    if sweep.resources.get("shared_dir"):  # created with its parents when the first run needs it
        checks.writable_dir(sweep.resources["shared_dir"], "--shared-dir")
    if workers not in (None, 1) and executor != "local":
        raise UserError(f"--workers is for the local executor; {executor} places runs itself")
    st = Store(path)
    st.register(plan.runs, sweep.name)
    owner, commit = this_owner(), git_commit()
    need_ckpt = {r.init_id for r in plan.runs if r.init_id}
    if executor == "slurm":  # job scripts, logs and results: on a file system the nodes share
        from .slurm import SlurmExecutor

        ex = SlurmExecutor(shared_folder(sweep, path) / "slurm", sweep.resources)
    elif executor == "local":
        from .pool import make_pool

        ex = make_pool(sweep.workers if workers is None else workers, sweep.model, sweep.resources,
                       log) or make_executor(executor, address, sweep.resources)
    else:
        ex = make_executor(executor, address, sweep.resources)
    heart = Heartbeat(path, owner, lease)
    heart.start()
    summary = Counter()
    resolved = {}  # run id -> final status in this sweep (for targets of failed intermediates)
    statuses = st.statuses(r.id for r in plan.runs)
    counted = {r.id for r in plan.runs if statuses.get(r.id) in FINISHED
               and not (r.id in need_ckpt and st.checkpoint_of(r.id) is None)}
    bar = tqdm(total=len(plan.runs), initial=len(counted), desc=f"sweep {sweep.name}", unit="run",
               disable=not progress, position=0, dynamic_ncols=True)
    todo, in_flight, waiting_on_others = list(plan.runs), {}, set()
    checked = set()  # runs whose checkpoint was verified in this sweep (hashing 1.4 GB takes seconds)

    def settle(run, status):
        resolved[run.id] = status
        summary[status] += 1
        if run.id not in counted:
            counted.add(run.id)
            bar.update(1)

    try:
        while todo or in_flight:
            still, waiting_on_others = [], set()
            for run in todo:
                if len(in_flight) >= ex.capacity:
                    still.append(run)
                    continue
                init_path = None
                if run.init_id:
                    init_path = st.checkpoint_of(run.init_id)
                    if init_path is None:
                        if resolved.get(run.init_id) in ("failed", "diverged", "blocked", "skipped failed", "lost"):
                            settle(run, "blocked")
                        else:
                            still.append(run)  # its intermediate is still training
                        continue
                    if _damaged(st, run.init_id, log, checked):
                        settle(run, "blocked")
                        continue
                if run.id in need_ckpt:
                    _damaged(st, run.id, log, checked)  # a damaged checkpoint is moved aside: retrained
                verdict = st.claim(run.id, owner, retry_failed=retry_failed,
                                   need_checkpoint=run.id in need_ckpt, lease=lease)
                if verdict == "failed" and faults.transient(st.record(run.id).error):
                    # a full disk, a killed worker: the cause may be gone, the settings were not it
                    verdict = st.claim(run.id, owner, retry_failed=True,
                                       need_checkpoint=run.id in need_ckpt, lease=lease)
                if verdict == "done":
                    settle(run, "already done")
                elif verdict == "failed":
                    settle(run, "skipped failed")
                elif verdict == "busy":
                    still.append(run)
                    waiting_on_others.add(run.id)
                else:
                    heart.track(run.id, True)
                    in_flight[ex.submit(_payload(run, st, init_path, progress, sweep.name,
                                                         shared_folder(sweep, path)))] = run
            todo = still
            if in_flight:
                for handle, outcome in ex.wait(list(in_flight), timeout=poll):
                    run = in_flight.pop(handle)
                    if outcome["status"] == "lost":  # its job was killed: redo it, it did not fail
                        st.release(run.id, owner, outcome["error"])
                        log(f"run {run.id} {run.label}: {outcome['error']}", flush=True)
                    else:
                        _record(st, run, owner, outcome, commit, log)
                    heart.track(run.id, False)
                    settle(run, outcome["status"])
                bar.set_postfix(_progress(summary, in_flight), refresh=False)
            elif todo:
                if waiting_on_others and not wait:
                    for run in todo:
                        settle(run, "left to another process")
                    todo = []
                else:
                    bar.set_postfix(waiting=f"{len(todo)} on another process", refresh=True)
                    time.sleep(poll)
    except KeyboardInterrupt:
        ex.cancel(list(in_flight))
        for run in in_flight.values():
            st.release(run.id, owner, "interrupted (Ctrl-C) before it finished; rerun the sweep")
        log(f"interrupted: {len(in_flight)} run(s) in flight given back as pending; "
            f"resume with: {resume or resume_command(sweep, path, executor)}", flush=True)
        raise
    finally:
        heart.stopped.set()
        bar.close()
        ex.close()
        heart.join(timeout=10)
        st.close()
    summary = dict(summary)
    summary["total"] = len(plan.runs)
    summary["store"] = str(path)
    return summary


def _damaged(st: Store, run_id: str, log, checked: set) -> bool:
    """Check a finished run's checkpoint against its manifest, once per sweep (`checked`); a
    damaged one is set aside (so the run lacks its checkpoint and is trained again) with one line
    saying so."""
    if run_id in checked:
        return False
    checked.add(run_id)
    path = st.checkpoint_of(run_id)
    why = faults.damage(path) if path is not None else None
    if why:
        aside = faults.set_aside(path, run_id)
        log(f"run {run_id}: its checkpoint {path} is damaged ({why}); moved to {aside.name}, "
            f"the run is trained again", flush=True)
    return bool(why)


def _progress(summary: Counter, in_flight: dict) -> dict:
    """The bar's counts: what finished how in this sweep, and what is training now."""
    return {"done": summary["done"] + summary["already done"], "failed": summary["failed"],
            "diverged": summary["diverged"], "lost": summary["lost"], "in_flight": len(in_flight)}


def resume_command(sweep: Sweep, path: Path, executor: str) -> str:
    """The command that picks a stopped sweep up where it stopped (same file, same store)."""
    where = f" --executor {executor}" if executor != "local" else ""
    return f"stilts-nb sweep {sweep.path} --store {path}{where}"


def shared_folder(sweep: Sweep, path: Path) -> Path:
    """Where workers read and write files (checkpoints, SLURM job folders): the sweep's
    ``resources.shared_dir`` when the store is on a node's local disk, else beside the store."""
    return Path(sweep.resources.get("shared_dir") or path.parent).resolve()


def _payload(run, store: Store, init_path, progress: bool = True, sweep_name: str = "sweep",
             shared: Path | None = None) -> dict:
    # the plan's TrainConfig, completed with what is only known now; progress is cosmetic (not
    # in the identity): --no-progress silences the run's own bars too
    config = replace(run.train_config, init=str(init_path) if init_path else None, progress=progress)
    if config.log_with:  # trackers write where workers can (shared_dir), one group per sweep
        from ..training.tracking import readable_name

        config = replace(config, tracking_dir=str(((shared or store.path.parent) / "tracking").resolve()),
                         run_name=f"{sweep_name} / {readable_name(run.config, run.intermediate)}")
    ckpt = None
    if config.save:
        root = shared / "checkpoints" if shared else store.checkpoints
        ckpt = str((root / run.id).resolve())
        # a killed attempt's private folder (see executors.execute); we hold the lease now
        for stale in root.glob(f".{run.id}.*"):
            shutil.rmtree(stale, ignore_errors=True)
    return {"id": run.id, "config": config, "checkpoint": ckpt}


def _record(store: Store, run, owner: str, outcome: dict, commit, log) -> None:
    outcome = {**outcome, "git_commit": commit}
    if outcome.get("checkpoint"):  # relative to the store when beside it (the folder can move)
        ckpt = Path(outcome["checkpoint"]).resolve()
        try:
            outcome["checkpoint"] = str(ckpt.relative_to(store.path.parent.resolve()))
        except ValueError:  # in resources.shared_dir, elsewhere: kept absolute
            outcome["checkpoint"] = str(ckpt)
    store.finish(run.id, owner, outcome)
    if outcome["status"] == "failed":
        first = (outcome.get("error") or "").strip().splitlines()[:1]
        log(f"run {run.id} {run.label} failed: {first[0] if first else '?'}", flush=True)
