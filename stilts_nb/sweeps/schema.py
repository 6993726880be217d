"""The store's schema: its columns (declared once, here), its version, and the path from older
versions to this one.

The runs table has a column per identity setting of ``stilts_nb/settings.py`` (so a new setting
is a column too, queryable without the config JSON), between the store's own columns declared
below. ``CREATE``, the store's INSERT and UPDATE and the tidy table (``results()``) are all built
from ``RUN_COLUMNS``.

The version lives in the ``stilts_meta`` table (with ``application = stilts-nb``, which is how a
stilts-nb store is told apart from any other SQLite file). Opening an older store backs the file
up beside itself, adds the declared columns it lacks (a setting column filled from each run's
config JSON) and applies ``MIGRATIONS[v]`` for each version after its own, in one transaction; a
store from a newer stilts-nb is refused rather than misread.
"""
from __future__ import annotations

import sqlite3
from dataclasses import dataclass
from pathlib import Path

from ..errors import UserError
from ..settings import REQUIRED, SETTINGS

APPLICATION = "stilts-nb"
SCHEMA_VERSION = 3

# version -> SQL that brings a store from version-1 to version, for any change but new columns:
# those need no entry, as every open adds the declared columns a store lacks. Bump SCHEMA_VERSION
# with an entry, e.g. {3: "CREATE INDEX runs_model ON runs (model);"}.
# 2: tf32, keep_head, pad_to_multiple_of and dropout became columns (filled from the config).
# 3: the predictions table (one row per run that kept its per-example predictions).
PREDICTIONS = """
CREATE TABLE predictions (          -- a run's final dev scoring, per example (sweeps/predictions.py)
    run_id TEXT PRIMARY KEY REFERENCES runs (id),
    kind TEXT NOT NULL CHECK (kind IN ('scored', 'constant')),
    examples INTEGER NOT NULL,
    scorings INTEGER NOT NULL,
    arrays BLOB NOT NULL
);
"""
MIGRATIONS: dict = {2: "", 3: PREDICTIONS}


@dataclass(frozen=True)
class Column:
    sql: str                # SQL type and constraints
    reads_as: str = ""      # how results() decodes it: "json", "bool", "time", or as stored
    shown: bool = True      # a column of results(); the rest are bookkeeping or full=True's


def _setting_column(setting) -> Column:
    if setting.kind == "bool":
        return Column("INTEGER", "bool")
    sql = {"pos_int": "INTEGER", "nonneg_int": "INTEGER", "pos_num": "REAL", "nonneg_num": "REAL",
           "ratio": "REAL"}.get(setting.kind, "TEXT")
    return Column(sql + (" NOT NULL" if setting.default is REQUIRED else ""))


# a run's identity names its intermediate run (init_id), never the checkpoint path `init`
SETTING_COLUMNS = {n: _setting_column(s) for n, s in SETTINGS.items() if s.identity and n != "init"}

RUN_COLUMNS = {
    "id": Column("TEXT PRIMARY KEY"),                # identity hash (identity.py)
    "role": Column("TEXT NOT NULL"),                 # 'intermediate' | 'target'
    "intermediate": Column("TEXT"),                  # a target's intermediate task ('none' = pretrained)
    "init_id": Column("TEXT"),                       # the intermediate run this run starts from
    **SETTING_COLUMNS,                               # task, model, lr, ... (settings.py)
    "train_fingerprint": Column("TEXT"), "dev_fingerprint": Column("TEXT"),
    "identity": Column("TEXT NOT NULL", "json", shown=False),  # the JSON hashed into id
    "config": Column("TEXT NOT NULL", "json", shown=False),    # the full training config
    "status": Column("TEXT NOT NULL CHECK (status IN ('pending', 'running', 'done', 'failed',"
                     " 'diverged'))"),
    # what a finished run records (store.finish)
    "metric": Column("TEXT"), "score": Column("REAL"),
    "degenerate": Column("INTEGER", "bool"), "diverged": Column("INTEGER", "bool"),
    "per_epoch": Column("TEXT", "json"), "loss_curve": Column("TEXT", "json"),
    "transferred": Column("TEXT", "json"),           # parameter-name prefixes
    "new": Column("TEXT", "json"),
    "train_seconds": Column("REAL"), "wall_seconds": Column("REAL"),
    "train_tokens": Column("INTEGER"), "device": Column("TEXT"),
    "versions": Column("TEXT", "json"), "git_commit": Column("TEXT"),
    "checkpoint": Column("TEXT"),                    # relative to the store's folder; intermediates
    "error": Column("TEXT"),                         # why it failed (or why it was given back)
    "result": Column("TEXT", "json", shown=False),   # the whole RunResult.to_dict() (JSON)
    # bookkeeping
    "attempts": Column("INTEGER NOT NULL DEFAULT 0"),
    "owner": Column("TEXT", shown=False), "heartbeat": Column("REAL", shown=False),
    "lease_expires": Column("REAL", shown=False),
    "created_at": Column("REAL NOT NULL", "time"), "started_at": Column("REAL", "time"),
    "finished_at": Column("REAL", "time"),
}

_RUNS = ",\n    ".join(f"{name} {c.sql}" for name, c in RUN_COLUMNS.items())
CREATE = f"""
CREATE TABLE stilts_meta (key TEXT PRIMARY KEY, value TEXT NOT NULL);
CREATE TABLE runs (
    {_RUNS}
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
""" + PREDICTIONS


def create_or_migrate(db: sqlite3.Connection, path: Path) -> int:
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
            _add_missing_columns(db)
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


def _add_missing_columns(db) -> None:
    """Columns declared since the store was made: added, and a setting's filled from each run's
    config JSON (NULL where the config predates the setting, i.e. not recorded)."""
    have = {row[1] for row in db.execute("PRAGMA table_info(runs)")}
    for name, column in RUN_COLUMNS.items():
        if name not in have:
            # only the type: SQLite adds no NOT NULL column without a default to existing rows
            db.execute(f"ALTER TABLE runs ADD COLUMN {name} {column.sql.split()[0]}")
            if name in SETTING_COLUMNS:
                db.execute(f"UPDATE runs SET {name} = json_extract(config, '$.{name}')")


def _statements(sql: str) -> list:
    # our DDL has no semicolons inside strings or comments, so a plain split is exact
    lines = [line.split("--")[0] for line in sql.splitlines()]
    return [s.strip() for s in "\n".join(lines).split(";") if s.strip()]

