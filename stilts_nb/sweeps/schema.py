"""The store's schema, its version, and the path from older versions to this one.

The version lives in the ``stilts_meta`` table (with ``application = stilts-nb``, which is how a
stilts-nb store is told apart from any other SQLite file). Opening an older store backs the file
up beside itself and applies ``MIGRATIONS[v]`` for each version after its own, in one
transaction; a store from a newer stilts-nb is refused rather than misread.
"""
from __future__ import annotations

import sqlite3
from pathlib import Path

from ..errors import UserError

APPLICATION = "stilts-nb"
SCHEMA_VERSION = 1

CREATE = """
CREATE TABLE stilts_meta (key TEXT PRIMARY KEY, value TEXT NOT NULL);
CREATE TABLE runs (
    id TEXT PRIMARY KEY,               -- identity hash (identity.py)
    role TEXT NOT NULL,                -- 'intermediate' | 'target'
    task TEXT NOT NULL,                -- task[-transform][@N]
    intermediate TEXT,                 -- a target's intermediate task ('none' = pretrained)
    init_id TEXT,                      -- the intermediate run this run starts from
    model TEXT NOT NULL,
    lr REAL, batch_size INTEGER, warmup_ratio REAL, seed INTEGER, epochs INTEGER,
    max_length INTEGER, train_limit INTEGER, eval_limit INTEGER, precision TEXT, batching TEXT,
    train_fingerprint TEXT, dev_fingerprint TEXT,
    identity TEXT NOT NULL,            -- the JSON that was hashed into id
    config TEXT NOT NULL,              -- the full training config (JSON)
    status TEXT NOT NULL CHECK (status IN ('pending', 'running', 'done', 'failed', 'diverged')),
    metric TEXT, score REAL, degenerate INTEGER, diverged INTEGER,
    per_epoch TEXT, loss_curve TEXT,   -- JSON lists
    transferred TEXT, new TEXT,        -- JSON lists of parameter-name prefixes
    train_seconds REAL, wall_seconds REAL, train_tokens INTEGER,
    device TEXT, versions TEXT, git_commit TEXT,
    checkpoint TEXT,                   -- relative to the store's folder; intermediates only
    error TEXT,                        -- why it failed (or why it was given back)
    result TEXT,                       -- the training's whole metrics dict (JSON)
    attempts INTEGER NOT NULL DEFAULT 0,
    owner TEXT, heartbeat REAL, lease_expires REAL,
    created_at REAL NOT NULL, started_at REAL, finished_at REAL
);
CREATE INDEX runs_status ON runs (status);
CREATE INDEX runs_task ON runs (task, intermediate);
CREATE TABLE run_sweeps (           -- which sweep/study asked for a run (many-to-many)
    run_id TEXT NOT NULL REFERENCES runs (id),
    sweep TEXT NOT NULL,
    study TEXT NOT NULL,
    added_at REAL,
    PRIMARY KEY (run_id, sweep, study)
);
"""

# version -> SQL that brings a store from version-1 to version. Add an entry (and bump
# SCHEMA_VERSION) for every change to CREATE, e.g. {2: "ALTER TABLE runs ADD COLUMN flops REAL;"}.
MIGRATIONS: dict = {}


def prepare(db: sqlite3.Connection, path: Path) -> int:
    """Create a new store, check an existing one, or migrate an older one. -> its version."""
    _backup_if_old(db, path)
    db.execute("BEGIN IMMEDIATE")  # two processes creating one new store: one wins, one waits
    try:
        tables = {r[0] for r in db.execute("SELECT name FROM sqlite_master WHERE type='table'")}
        if not tables:
            # one statement at a time: executescript() would COMMIT our transaction
            for statement in _statements(CREATE):
                db.execute(statement)
            db.execute("INSERT INTO stilts_meta VALUES ('application', ?)", (APPLICATION,))
            db.execute("INSERT INTO stilts_meta VALUES ('schema_version', ?)", (str(SCHEMA_VERSION),))
            version = SCHEMA_VERSION
        else:
            version = _check(db, tables, path)
            if version < SCHEMA_VERSION:
                _migrate(db, path, version)
                version = SCHEMA_VERSION
        db.execute("COMMIT")
    except BaseException:
        db.execute("ROLLBACK")
        raise
    db.execute("PRAGMA journal_mode = WAL")
    db.execute("PRAGMA synchronous = FULL")
    return version


def _check(db, tables: set, path: Path) -> int:
    meta = {}
    if "stilts_meta" in tables:
        meta = dict(db.execute("SELECT key, value FROM stilts_meta").fetchall())
    if meta.get("application") != APPLICATION or not str(meta.get("schema_version", "")).isdigit():
        raise UserError(f"{path}: not a stilts-nb store (an SQLite file with other tables: "
                        f"{', '.join(sorted(tables))}); give another --store path")
    version = int(meta["schema_version"])
    if version > SCHEMA_VERSION:
        raise UserError(f"{path}: store schema version {version} is newer than this stilts-nb "
                        f"understands ({SCHEMA_VERSION}); upgrade stilts-nb to use it")
    return version


def _backup_if_old(db, path: Path) -> None:
    """Copy an older store aside before migrating it (outside the migration's transaction)."""
    try:
        row = db.execute("SELECT value FROM stilts_meta WHERE key='schema_version'").fetchone()
    except sqlite3.OperationalError:  # no such table: new, or not ours (_check says which)
        return
    if row and str(row[0]).isdigit() and int(row[0]) < SCHEMA_VERSION:
        backup = path.with_name(f"{path.name}.v{row[0]}.bak")
        if not backup.exists():
            dst = sqlite3.connect(str(backup))  # the backup API copies a consistent snapshot
            db.backup(dst)
            dst.close()


def _migrate(db, path: Path, version: int) -> None:
    for v in range(version + 1, SCHEMA_VERSION + 1):
        if v not in MIGRATIONS:
            raise UserError(f"{path}: no migration from schema {v - 1} to {v}")
        for statement in _statements(MIGRATIONS[v]):
            db.execute(statement)
    db.execute("UPDATE stilts_meta SET value=? WHERE key='schema_version'", (str(SCHEMA_VERSION),))


def _statements(sql: str) -> list:
    # our DDL has no semicolons inside strings or comments, so a plain split is exact
    lines = [line.split("--")[0] for line in sql.splitlines()]
    return [s.strip() for s in "\n".join(lines).split(";") if s.strip()]

