"""The run store: one SQLite file, one row per run identity, safe under kill -9 and shared use.

Why SQLite: a real database in one file that pandas reads directly, with atomic transactions,
so a process killed at any moment leaves either the old row or the new one, never half of one.
WAL mode lets readers (a notebook, `stilts-nb status`) read while a sweep writes; every write is a
short ``BEGIN IMMEDIATE`` transaction, so several processes (two notebooks, a notebook and a
terminal sweep) can share a store. synchronous=FULL: a run costs minutes to hours and its row is
written once, so durability against power loss is worth a few milliseconds.

Leases: a process training a run marks it ``running`` with its owner (host:pid:start-time) and a
lease that its heartbeat thread extends. Another process treats the run as busy while the lease
is live, and redoes it once the lease has expired or, on the same host, once the owner process is
gone (so that rerunning a killed command right away redoes the run that was in flight).
"""
from __future__ import annotations

import json
import os
import shutil
import socket
import sqlite3
import time
from contextlib import contextmanager
from pathlib import Path

from ..checks import store_file
from ..errors import UserError
from . import schema
from .run_record import RunRecord, read

STATUSES = ("pending", "running", "done", "failed", "diverged")
FINISHED = ("done", "diverged")  # diverged is a result of the config, not an accident
LEASE_SECONDS = 120.0


def default_path() -> Path:
    return Path(os.environ.get("STILTS_STORE") or "runs/stilts.sqlite")


def this_owner() -> str:
    return f"{socket.gethostname()}:{os.getpid()}:{_start_time(os.getpid())}"


def owner_alive(owner: str | None) -> bool | None:
    """True/False where this host can tell (same host), None for another host's process."""
    if not owner:
        return False
    host, pid, start = (owner.split(":") + ["", ""])[:3]
    if host != socket.gethostname():
        return None
    try:
        os.kill(int(pid), 0)
    except (ProcessLookupError, ValueError):
        return False
    except PermissionError:
        return True
    return start == _start_time(int(pid))  # guards against a reused pid


def _start_time(pid: int) -> str:
    try:  # field 22 of /proc/PID/stat: start time in clock ticks since boot (Linux)
        return Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[19]
    except (OSError, IndexError):
        return "?"


class Store:
    """Open (or create) a store. ``create=False`` refuses a missing file (results, status)."""

    def __init__(self, path, create: bool = True):
        self.path = Path(path)
        if not create:
            store_file(self.path)  # not an SQLite file, or its folder missing: one clear line
        if not self.path.exists() and not create:
            raise UserError(f"{self.path}: no store here (a sweep creates it; see `stilts-nb sweep`)")
        if create:
            self.path.parent.mkdir(parents=True, exist_ok=True)
        self.db = _connect(self.path)
        schema.create_or_migrate(self.db, self.path)

    @property
    def checkpoints(self) -> Path:
        return self.path.parent / "checkpoints"

    def close(self) -> None:
        self.db.close()

    def __enter__(self) -> Store:  # `with Store(p) as s`: s.record() is typed for an editor
        return self

    def __exit__(self, *exc):
        self.close()

    @contextmanager
    def write(self):
        """One short write transaction; BEGIN IMMEDIATE takes the write lock up front, so two
        processes never both read a row as claimable and then both claim it."""
        self.db.execute("BEGIN IMMEDIATE")
        try:
            yield self.db
        except BaseException:
            self.db.execute("ROLLBACK")
            raise
        self.db.execute("COMMIT")

    # --- reading ---------------------------------------------------------------------------
    def record(self, run_id: str) -> RunRecord | None:
        """One run (its config and result included), or None where the store has no such run."""
        found = read(self.db, self.path.parent, run_id, full=True)
        return found[0] if found else None

    def records(self, full: bool = False) -> list[RunRecord]:
        """Every run, intermediates first (results() is their table). full: with each run's
        config and result, long JSON that most readers do without."""
        return read(self.db, self.path.parent, full=full)

    def statuses(self, ids) -> dict:
        out = {}
        ids = list(ids)
        for i in range(0, len(ids), 500):  # SQLite's limit on bound parameters
            chunk = ids[i:i + 500]
            q = f"SELECT id, status FROM runs WHERE id IN ({','.join('?' * len(chunk))})"
            out.update(dict(self.db.execute(q, chunk).fetchall()))
        return out

    def counts(self) -> dict:
        return dict(self.db.execute("SELECT status, COUNT(*) FROM runs GROUP BY status").fetchall())

    def integrity(self) -> str:
        return self.db.execute("PRAGMA integrity_check").fetchone()[0]

    def checkpoint_of(self, run_id: str) -> Path | None:
        run = self.record(run_id)
        if not run or run.status not in FINISHED or run.checkpoint is None:
            return None
        return run.checkpoint if (run.checkpoint / "config.json").is_file() else None

    # --- writing ---------------------------------------------------------------------------
    def register(self, runs, sweep: str) -> None:
        """Insert the planned runs as pending (existing rows are left alone) and note which
        sweep and study asked for each."""
        now = time.time()
        with self.write() as db:
            for run in runs:
                cfg = run.config
                row = {"id": run.id, "role": run.role, "intermediate": run.intermediate,
                       "init_id": run.init_id, **{n: cfg[n] for n in schema.SETTING_COLUMNS},
                       "train_fingerprint": run.identity["data"].get("train"),
                       "dev_fingerprint": run.identity["data"].get("dev"),
                       "identity": json.dumps(run.identity, sort_keys=True),
                       "config": json.dumps(cfg, sort_keys=True), "status": "pending",
                       "created_at": now}
                db.execute(f"INSERT OR IGNORE INTO runs ({', '.join(row)})"
                           f" VALUES ({', '.join('?' * len(row))})", list(row.values()))
                for study in run.studies:
                    db.execute("INSERT OR IGNORE INTO run_sweeps (run_id, sweep, study, added_at)"
                               " VALUES (?,?,?,?)", (run.id, sweep, study, now))

    def claim(self, run_id: str, owner: str, *, retry_failed: bool = False,
              need_checkpoint: bool = False, lease: float = LEASE_SECONDS) -> str:
        """-> 'claimed' (you train it now), 'done', 'failed' (and no retry), or 'busy'."""
        now = time.time()
        with self.write() as db:
            row = db.execute("SELECT status, owner, lease_expires, checkpoint FROM runs WHERE id = ?",
                             (run_id,)).fetchone()
            if row is None:
                raise KeyError(run_id)  # register() first
            status = row["status"]
            if status in FINISHED and not (need_checkpoint and self.checkpoint_of(run_id) is None):
                return "done"
            if status == "failed" and not retry_failed:
                return "failed"
            if status == "running" and row["owner"] != owner:
                alive = owner_alive(row["owner"])
                if alive or (alive is None and (row["lease_expires"] or 0) > now):
                    return "busy"
            db.execute("UPDATE runs SET status='running', owner=?, heartbeat=?, lease_expires=?,"
                       " started_at=?, attempts=attempts+1, error=NULL WHERE id=?",
                       (owner, now, now + lease, now, run_id))
            return "claimed"

    def heartbeat(self, ids, owner: str, lease: float = LEASE_SECONDS) -> None:
        now = time.time()
        with self.write() as db:
            for run_id in ids:
                db.execute("UPDATE runs SET heartbeat=?, lease_expires=? WHERE id=? AND owner=?"
                           " AND status='running'", (now, now + lease, run_id, owner))

    def release(self, run_id: str, owner: str, note: str) -> None:
        """Give a claimed run back unfinished (Ctrl-C): pending again, with a note why."""
        with self.write() as db:
            db.execute("UPDATE runs SET status='pending', owner=NULL, lease_expires=NULL, error=?"
                       " WHERE id=? AND owner=? AND status='running'", (note, run_id, owner))

    def finish(self, run_id: str, owner: str, outcome: dict) -> bool:
        """Record a run's outcome. A finished row is never overwritten: if another process
        finished the same identity meanwhile (our lease had expired), ours is dropped. The
        metrics' per-example "predictions" go to their own table in the same transaction (and
        not into the result JSON); a finish without them leaves the run with none."""
        from .records import write as write_predictions

        m = dict(outcome.get("metrics") or {})
        record = m.pop("predictions", None)
        with self.write() as db:
            row = db.execute("SELECT status FROM runs WHERE id=?", (run_id,)).fetchone()
            if row is None or row["status"] in FINISHED:
                return False
            values = {
                "status": outcome["status"], "metric": m.get("metric"), "score": _num(m.get("score")),
                "degenerate": _flag(m.get("degenerate")), "diverged": _flag(m.get("diverged")),
                "per_epoch": _json(m.get("per_epoch")), "loss_curve": _json(_loss_curve(m)),
                "transferred": _json(m.get("transferred")), "new": _json(m.get("new")),
                "train_seconds": m.get("train_seconds"), "wall_seconds": outcome.get("wall_seconds"),
                "train_tokens": m.get("train_tokens"), "device": outcome.get("device"),
                "versions": _json(outcome.get("versions")), "git_commit": outcome.get("git_commit"),
                "checkpoint": outcome.get("checkpoint"), "error": outcome.get("error"),
                "result": _json(m) if m else None, "finished_at": time.time(),
                "owner": None, "lease_expires": None}
            db.execute(f"UPDATE runs SET {', '.join(f'{c}=?' for c in values)} WHERE id=?",
                       [*values.values(), run_id])
            write_predictions(db, run_id, record if outcome["status"] in FINISHED else None)
            return True

    def forget(self, run_id: str) -> None:
        """Delete one run's row (and its sweep membership): the way to force a retrain."""
        with self.write() as db:
            db.execute("DELETE FROM run_sweeps WHERE run_id=?", (run_id,))
            db.execute("DELETE FROM predictions WHERE run_id=?", (run_id,))
            db.execute("DELETE FROM runs WHERE id=?", (run_id,))
        shutil.rmtree(self.checkpoints / run_id, ignore_errors=True)


def _connect(path: Path) -> sqlite3.Connection:
    db = sqlite3.connect(str(path), timeout=60.0, isolation_level=None, check_same_thread=False)
    db.row_factory = sqlite3.Row
    try:
        db.execute("PRAGMA busy_timeout = 60000")
        db.execute("SELECT name FROM sqlite_master LIMIT 1").fetchall()  # reads the header
    except sqlite3.DatabaseError as err:
        db.close()
        raise UserError(f"{path}: not a stilts-nb store (not an SQLite database: {err})") from None
    return db


def _json(v):
    # numpy scalars and the like (a metrics dict from any engine) become plain numbers
    return None if v is None else json.dumps(v, default=lambda o: o.item() if hasattr(o, "item") else str(o))


def _flag(v):
    return None if v is None else int(bool(v))


def _num(v):
    try:
        return None if v is None else float(v)
    except (TypeError, ValueError):
        return None


def _loss_curve(m: dict):
    for key in ("steps", "loss_curve", "losses"):  # training's loop.py calls it "steps"
        if isinstance(m.get(key), list):
            return m[key]
    return None
