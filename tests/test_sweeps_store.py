"""The store: refuses what is not a stilts-nb store, migrates old ones, and honours leases."""
import json
import sqlite3
import threading
import time
from dataclasses import FrozenInstanceError, fields

import pandas as pd
import pytest

from stilts_nb.cli import main
from stilts_nb.errors import UserError
from stilts_nb.settings import SETTINGS
from stilts_nb.sweeps import Store, expand, parse_sweep, results, run_sweep
from stilts_nb.sweeps import run_record, schema
from stilts_nb.sweeps.run_record import RunRecord
from stilts_nb.sweeps.store import this_owner
from test_sweeps_common import sweep_dict


def test_not_sqlite(tmp_path, capsys):
    p = tmp_path / "notes.sqlite"
    p.write_text("these are my notes, not a database\n" * 100)
    with pytest.raises(UserError, match="not a stilts-nb store"):
        Store(p)
    assert main(["status", "--store", str(p)]) == 2
    assert "not a stilts-nb store" in capsys.readouterr().err
    assert p.read_text().startswith("these are my notes")  # untouched


def _sql(path, statement):
    db = sqlite3.connect(path)
    db.execute(statement)
    db.commit()
    db.close()


def test_foreign_sqlite(tmp_path):
    p = tmp_path / "other.db"
    _sql(p, "CREATE TABLE experiments (id INTEGER)")
    with pytest.raises(UserError, match="not a stilts-nb store .*experiments"):
        Store(p)


def test_newer_schema(tmp_path):
    p = tmp_path / "s.sqlite"
    Store(p).close()
    _sql(p, "UPDATE stilts_meta SET value='99' WHERE key='schema_version'")
    with pytest.raises(UserError, match="schema version 99 is newer .* upgrade stilts-nb"):
        Store(p)


def test_missing_store_for_reading(tmp_path):
    with pytest.raises(UserError, match="no store here"):
        Store(tmp_path / "nope.sqlite", create=False)


def test_migration_path(tmp_path, monkeypatch):
    p = tmp_path / "s.sqlite"
    with Store(p) as s:
        assert s.db.execute("PRAGMA journal_mode").fetchone()[0] == "wal"
    now = schema.SCHEMA_VERSION
    monkeypatch.setattr(schema, "SCHEMA_VERSION", now + 1)
    monkeypatch.setitem(schema.MIGRATIONS, now + 1, "CREATE INDEX runs_model ON runs (model);")
    with Store(p) as s:
        meta = dict(s.db.execute("SELECT key, value FROM stilts_meta").fetchall())
        indexes = [r[1] for r in s.db.execute("PRAGMA index_list(runs)")]
    assert meta["schema_version"] == str(now + 1) and "runs_model" in indexes
    backup = tmp_path / f"s.sqlite.v{now}.bak"
    assert backup.exists()
    assert sqlite3.connect(backup).execute("SELECT value FROM stilts_meta WHERE key='schema_version'").fetchone()[0] == str(now)


# A store as stilts-nb wrote it before the columns came from settings.py (schema 1), verbatim.
SCHEMA_1 = """
CREATE TABLE stilts_meta (key TEXT PRIMARY KEY, value TEXT NOT NULL);
CREATE TABLE runs (
    id TEXT PRIMARY KEY, role TEXT NOT NULL, task TEXT NOT NULL, intermediate TEXT, init_id TEXT,
    model TEXT NOT NULL,
    lr REAL, batch_size INTEGER, warmup_ratio REAL, seed INTEGER, epochs INTEGER,
    max_length INTEGER, train_limit INTEGER, eval_limit INTEGER, precision TEXT, batching TEXT,
    train_fingerprint TEXT, dev_fingerprint TEXT, identity TEXT NOT NULL, config TEXT NOT NULL,
    status TEXT NOT NULL CHECK (status IN ('pending', 'running', 'done', 'failed', 'diverged')),
    metric TEXT, score REAL, degenerate INTEGER, diverged INTEGER, per_epoch TEXT, loss_curve TEXT,
    transferred TEXT, new TEXT, train_seconds REAL, wall_seconds REAL, train_tokens INTEGER,
    device TEXT, versions TEXT, git_commit TEXT, checkpoint TEXT, error TEXT, result TEXT,
    attempts INTEGER NOT NULL DEFAULT 0, owner TEXT, heartbeat REAL, lease_expires REAL,
    created_at REAL NOT NULL, started_at REAL, finished_at REAL
);
CREATE INDEX runs_status ON runs (status);
CREATE INDEX runs_task ON runs (task, intermediate);
CREATE TABLE run_sweeps (run_id TEXT NOT NULL REFERENCES runs (id), sweep TEXT NOT NULL,
                         study TEXT NOT NULL, added_at REAL, PRIMARY KEY (run_id, sweep, study));
INSERT INTO stilts_meta VALUES ('application', 'stilts-nb'), ('schema_version', '1');
"""


def _schema_1_store(path):
    """Two finished runs: one whose config has every setting, one from before tf32 existed."""
    db = sqlite3.connect(path)
    db.executescript(SCHEMA_1)
    configs = {"new": {"task": "rte", "model": "tiny:bert", "lr": 1e-4, "seed": 12, "tf32": True,
                       "keep_head": False, "pad_to_multiple_of": 8, "dropout": 0.05},
               "old": {"task": "rte", "model": "tiny:bert", "lr": 1e-4, "seed": 42,
                       "keep_head": True, "pad_to_multiple_of": 16, "dropout": None}}
    for run_id, cfg in configs.items():
        db.execute("INSERT INTO runs (id, role, task, intermediate, model, lr, seed, identity,"
                   " config, status, score, degenerate, result, created_at) VALUES"
                   " (?, 'target', 'rte', 'none', 'tiny:bert', 1e-4, ?, '{}', ?, 'done', 0.75, 0,"
                   " '{\"kernel\": \"AVX2\"}', 1700000000)", (run_id, cfg["seed"], json.dumps(cfg)))
        db.execute("INSERT INTO run_sweeps VALUES (?, 'smoke', 'main', 1700000000)", (run_id,))
    db.commit()
    db.close()


def test_a_schema_1_store_gets_the_setting_columns(tmp_path):
    p = tmp_path / "s.sqlite"
    _schema_1_store(p)
    df = results(p).set_index("id")
    assert (tmp_path / "s.sqlite.v1.bak").exists()
    assert df.loc["new", ["tf32", "keep_head", "pad_to_multiple_of", "dropout"]].tolist() == [True, False, 8, 0.05]
    old = df.loc["old"]
    assert pd.isna(old.tf32) and old.keep_head and old.pad_to_multiple_of == 16 and pd.isna(old.dropout)
    assert (old.score, old.kernel, old.sweeps, old.seed) == (0.75, "AVX2", ["smoke/main"], 42)
    assert results(p, keep_head=True).id.tolist() == ["old"]  # a setting column filters like any
    assert results(p, where="tf32=true").id.tolist() == ["new"]
    assert results(p, where=["keep_head=false", "dropout > 0"]).id.tolist() == ["new"]
    with Store(p) as s:
        assert s.db.execute("SELECT value FROM stilts_meta WHERE key='schema_version'").fetchone()[0] \
            == str(schema.SCHEMA_VERSION)
        migrated = {r[1] for r in s.db.execute("PRAGMA table_info(runs)")}
    with Store(tmp_path / "fresh.sqlite") as s:
        fresh = [r[1] for r in s.db.execute("PRAGMA table_info(runs)")]
    assert fresh == list(schema.RUN_COLUMNS) and migrated == set(fresh)  # same columns either way


def test_every_identity_setting_is_a_column(tmp_path, rte_dir):
    s, rid = _one_run_store(tmp_path, rte_dir, tf32=True, batching="length")
    config = s.record(rid).config
    s.close()
    row = results(tmp_path / "s.sqlite").iloc[0]
    identity_settings = [n for n, st in SETTINGS.items() if st.identity and n != "init"]
    assert {n: row[n] for n in identity_settings} == {n: config[n] for n in identity_settings}
    assert row.tf32 and row.batching == "length" and pd.isna(row.dropout)

def test_a_run_comes_back_as_a_typed_record(tmp_path, rte_dir):
    """What the store hands out for a run: its columns decoded (JSON, flags, a usable checkpoint
    path), its identity settings in `settings`, and what the store derives for it."""
    s, rid = _one_run_store(tmp_path, rte_dir, tf32=True)
    me = this_owner()
    assert s.claim(rid, me) == "claimed"
    s.finish(rid, me, {"status": "done", "checkpoint": "checkpoints/x", "wall_seconds": 2.5,
                       "metrics": {"metric": "accuracy", "score": 0.75, "degenerate": False,
                                   "per_epoch": [{"epoch": 1, "score": 0.75}], "kernel": "AVX2"}})
    run = s.record(rid)
    assert (run.id, run.role, run.status, run.attempts) == (rid, "target", "done", 1)
    assert (run.metric, run.score, run.degenerate, run.diverged) == ("accuracy", 0.75, False, None)
    assert run.settings["task"] == "rte" and run.settings["tf32"] is True and run.settings["lr"] == 1e-4
    assert list(run.settings) == list(schema.SETTING_COLUMNS)
    assert run.per_epoch == [{"epoch": 1, "score": 0.75}] and run.kernel == "AVX2"
    assert run.checkpoint == tmp_path / "checkpoints" / "x" and run.wall_seconds == 2.5
    assert run.sweeps == ["t/t"] and run.predictions == 0 and run.error is None
    assert run.config["seed"] == 12 and run.result["score"] == 0.75 and run.identity["task"] == "rte"
    assert s.records()[0].result is None and s.records(full=True) == [run]  # long JSON: when asked
    assert s.record("no-such-run") is None
    with pytest.raises(FrozenInstanceError):
        run.score = 1.0
    s.close()


def test_a_record_has_a_field_for_every_column_it_reads():
    """A column added to (or renamed in) the runs table without its RunRecord field fails here,
    rather than as a run that cannot be read back."""
    columns = set(run_record.READ) | set(run_record.FULL)
    fields_ = {f.name for f in fields(RunRecord)}
    assert fields_ - {"settings", "kernel", "sweeps", "predictions"} == columns - set(schema.SETTING_COLUMNS)
    assert set(schema.RUN_COLUMNS) - columns == {"owner", "heartbeat", "lease_expires"}  # the lease


def _one_run_store(tmp_path, rte_dir, **settings):
    plan = expand(parse_sweep(sweep_dict(rte_dir, grid={"seed": [12], "lr": [1e-4], "batch_size": [8],
                                                        "warmup_ratio": [0.0]}, **settings), "t.yaml"))
    s = Store(tmp_path / "s.sqlite")
    s.register(plan.runs, "t")
    return s, plan.runs[0].id


def _hold(store, run_id, owner, expires_in):
    with store.write() as db:
        db.execute("UPDATE runs SET status='running', owner=?, heartbeat=?, lease_expires=?, attempts=1"
                   " WHERE id=?", (owner, time.time(), time.time() + expires_in, run_id))


def test_lease_rules(tmp_path, rte_dir):
    s, rid = _one_run_store(tmp_path, rte_dir)
    me = this_owner()
    _hold(s, rid, "otherhost:123:1", 60)             # another machine, fresh heartbeat
    assert s.claim(rid, me) == "busy"
    _hold(s, rid, "otherhost:123:1", -1)             # another machine, lease expired
    assert s.claim(rid, me) == "claimed"
    _hold(s, rid, f"{me.split(':')[0]}:999999:5", 60)  # this host, process gone: redo at once
    assert s.claim(rid, me) == "claimed"
    s.heartbeat([rid], me, lease=5)
    lease = s.db.execute("SELECT lease_expires FROM runs WHERE id=?", (rid,)).fetchone()[0]
    assert lease == pytest.approx(time.time() + 5, abs=2)
    s.finish(rid, me, {"status": "done", "metrics": {"score": 0.5}})
    assert s.claim(rid, "otherhost:1:1") == "done"
    assert s.integrity() == "ok"


def test_stale_running_row_is_redone(tmp_path, rte_dir, fake_train):
    s, rid = _one_run_store(tmp_path, rte_dir)
    _hold(s, rid, "otherhost:123:1", -10)            # its process died long ago
    s.close()
    d = sweep_dict(rte_dir, grid={"seed": [12], "lr": [1e-4], "batch_size": [8], "warmup_ratio": [0.0]})
    summary = run_sweep(parse_sweep(d, "t.yaml"), tmp_path / "s.sqlite", progress=False)
    assert summary["done"] == 1 and len(fake_train.calls) == 1
    with Store(tmp_path / "s.sqlite") as s:
        run, (owner,) = s.record(rid), s.db.execute("SELECT owner FROM runs WHERE id=?", (rid,)).fetchone()
    assert run.status == "done" and run.attempts == 2 and owner is None


def test_live_lease_is_skipped_or_waited_for(tmp_path, rte_dir, fake_train):
    s, rid = _one_run_store(tmp_path, rte_dir)
    _hold(s, rid, "otherhost:123:1", 60)             # live elsewhere
    d = sweep_dict(rte_dir, grid={"seed": [12], "lr": [1e-4], "batch_size": [8], "warmup_ratio": [0.0]})
    sweep = parse_sweep(d, "t.yaml")
    summary = run_sweep(sweep, s.path, wait=False, progress=False)
    assert summary == {"left to another process": 1, "total": 1, "store": str(s.path)}
    assert fake_train.calls == []

    def other_finishes():
        time.sleep(1.0)
        with Store(s.path) as other:
            other.finish(rid, "otherhost:123:1", {"status": "done", "metrics": {"score": 0.9}})

    t = threading.Thread(target=other_finishes)
    t.start()
    summary = run_sweep(sweep, s.path, wait=True, poll=0.2, progress=False)
    t.join()
    assert summary["already done"] == 1 and fake_train.calls == []
    assert s.record(rid).score == 0.9
    s.close()
