"""Per-example predictions: stored with each run's result in one transaction, never stale, read
back by predictions() and `stilts-nb results --predictions`, the same through any executor."""
import io
import json
import pickle
import sqlite3
from types import SimpleNamespace

import numpy as np
import pandas as pd
import pytest

from stilts_nb.cli import main
from stilts_nb.errors import UserError
from stilts_nb.sweeps import Store, expand, load_sweep, results, run_sweep, schema
from stilts_nb.sweeps.predictions import COLUMNS, aligned, predictions
from stilts_nb.sweeps.store import this_owner
from stilts_nb.tasks import get_task, load
from test_sweeps_common import write_sweep


def test_a_real_sweep_keeps_every_runs_predictions(tmp_path, rte_dir, capsys):
    """Tiny BERT, real training, an intermediate and its targets: each finished run has one row
    per scored dev example whose accuracy is the run's stored score, with the task's ids and
    gold labels, and logits whose argmax is the prediction."""
    sweep = load_sweep(write_sweep(tmp_path / "s.yaml", rte_dir, intermediates=["none", "rte"]))
    store = tmp_path / "st.sqlite"
    ids_before = [r.id for r in expand(sweep).runs]
    run_sweep(sweep, store, progress=False)
    runs = results(store, full=True)
    assert set(runs.status) == {"done"} and len(runs) == 5
    assert (runs.predictions == 16).all()  # results() says how many each run keeps
    assert sorted(runs.id) == sorted(ids_before)  # predictions are an output: no identity changed
    dev = load(get_task("rte"), "dev", rte_dir).examples[:16]
    df = predictions(store, list(runs.id))
    assert list(df.columns) == COLUMNS
    for run in runs.itertuples():
        mine = df[df.run_id == run.id]
        assert list(mine.example) == list(range(16)) and set(mine.seed) == {run.seed}
        assert list(mine.example_id) == [ex["id"] for ex in dev]
        assert list(mine.gold) == [ex["label"] for ex in dev]
        assert mine.correct.mean() == pytest.approx(run.score)
        assert [int(np.argmax(s)) for s in mine.scores] == list(mine.prediction)
        assert "predictions" not in run.result  # kept in their own table, not in the JSON
    with Store(store) as s:
        assert s.integrity() == "ok"

    # the CLI: CSV to stdout by default, JSON lines to a file; an id prefix is enough
    one = runs.id.iloc[0]
    assert main(["results", "--store", str(store), "--predictions", one[:8]]) == 0
    csv = pd.read_csv(io.StringIO(capsys.readouterr().out), dtype={"example_id": str})
    expected = df[df.run_id == one].reset_index(drop=True)
    assert list(csv.columns) == COLUMNS and len(csv) == 16
    assert (csv.prediction == expected.prediction).all() and (csv.example_id == expected.example_id).all()
    np.testing.assert_array_equal([json.loads(s) for s in csv.scores], list(expected.scores))
    out = tmp_path / "exports" / "p.jsonl"
    assert main(["results", "--store", str(store), "--predictions", *runs.id[:2],
                 "--format", "jsonl", "--out", str(out)]) == 0
    rows = [json.loads(line) for line in out.read_text().splitlines()]
    assert len(rows) == 32 and set(rows[0]) == set(COLUMNS)
    assert [r["correct"] for r in rows[:16]] == list(df[df.run_id == runs.id[0]].correct)


def test_the_outcome_a_worker_sends_back_carries_them(tmp_path, rte_dir):
    """What Ray, SLURM (pickled) and a worker pool hand the driver: execute()'s outcome survives
    pickling with its predictions, and the store records them from it."""
    from stilts_nb.sweeps.executors import execute

    sweep = load_sweep(write_sweep(tmp_path / "s.yaml", rte_dir, grid={
        "lr": [1e-4], "batch_size": [8], "warmup_ratio": [0.0], "seed": [12]}))
    run = expand(sweep).runs[0]
    outcome = pickle.loads(pickle.dumps(execute({"id": run.id, "config": run.train_config})))
    assert outcome["status"] == "done" and outcome["metrics"]["predictions"]["prediction"].shape == (1, 16)
    store = tmp_path / "st.sqlite"
    with Store(store) as s:
        s.register([run], "t")
        s.claim(run.id, this_owner())
        s.finish(run.id, this_owner(), outcome)
    df = predictions(store, run.id)
    assert df.correct.mean() == pytest.approx(outcome["metrics"]["score"])


def _record(n=6, classes=2, seeds=(7,), seed=0, scores=True):
    rng = np.random.default_rng(seed)
    logits = rng.normal(size=(len(seeds), n, classes)).astype(np.float32)
    return {"example_id": np.array([f"ex-{i}" for i in range(n)]), "gold": rng.integers(0, classes, n),
            "prediction": logits.argmax(-1) if scores else np.zeros((len(seeds), n), dtype=np.int64),
            "scores": logits if scores else None, "seeds": np.array(seeds)}


def _fake_run(store, run_id="r1"):
    row = SimpleNamespace(id=run_id, role="target", config={**dict.fromkeys(schema.SETTING_COLUMNS),
                                                             "task": "rte", "model": "tiny:bert"},
                          identity={"x": run_id, "data": {}}, intermediate="none", init_id=None,
                          studies=["t"])
    store.register([row], "t")
    store.claim(run_id, this_owner())


def test_never_stale(tmp_path):
    """A run has the predictions of the result it reports or none: written in the same
    transaction (a record that cannot be written leaves the run unfinished), gone with forget(),
    replaced by a rerun's, and a run without them says why."""
    path = tmp_path / "s.sqlite"
    owner = this_owner()
    with Store(path) as s:
        _fake_run(s)
        broken = {k: v for k, v in _record().items() if k != "gold"}
        with pytest.raises(KeyError):
            s.finish("r1", owner, {"status": "done", "metrics": {"score": 0.5, "predictions": broken}})
        assert s.record("r1").status == "running"  # rolled back with the predictions
        first = _record(seed=1)
        assert s.finish("r1", owner, {"status": "done", "metrics": {"score": 0.5, "predictions": first}})
    assert list(predictions(path, "r1").prediction) == list(first["prediction"][0])

    with Store(path) as s:  # a rerun: forget, train again, other predictions
        s.forget("r1")
        assert s.db.execute("SELECT COUNT(*) FROM predictions").fetchone()[0] == 0
        _fake_run(s)
        second = _record(seed=2)
        s.finish("r1", owner, {"status": "done", "metrics": {"score": 0.6, "predictions": second}})
    assert list(predictions(path, "r1").prediction) == list(second["prediction"][0])

    with Store(path) as s:  # failed, and finished by an engine that kept none
        _fake_run(s, "r2")
        s.finish("r2", owner, {"status": "failed", "error": "boom", "metrics": {"predictions": _record()}})
        _fake_run(s, "r3")
        s.finish("r3", owner, {"status": "done", "metrics": {"score": 0.5}})
    with pytest.raises(UserError, match="r2: no stored predictions .the run is failed"):
        predictions(path, ["r1", "r2"])
    with pytest.raises(UserError, match="r3: no stored predictions .it finished before"):
        predictions(path, "r3")
    assert set(predictions(path, ["r1", "r2", "r3"], missing="skip").run_id) == {"r1"}
    assert dict(zip(results(path).id, results(path).predictions)) == {"r1": 6, "r2": 0, "r3": 0}
    with pytest.raises(UserError, match="no such run"):
        predictions(path, "zz")
    with pytest.raises(UserError, match="ambiguous"):
        predictions(path, "r")


def test_zero_shot_keeps_every_head_seed_and_a_diverged_run_its_constant_answer(tmp_path, sample_data):
    """A zero-shot score over two head seeds keeps two scorings (seed column), each whose
    accuracy is that seed's score; a diverged run keeps its first-class-everywhere answer
    without logits."""
    from stilts_nb.training import EvalConfig, zero_shot

    r = zero_shot(EvalConfig(task="winogrande_xs", model="tiny:bert", seeds=(1, 2), eval_limit=8,
                             data_dir=str(sample_data), progress=False))
    assert r["predictions"]["scores"].shape == (2, 8, 2)
    path = tmp_path / "s.sqlite"
    with Store(path) as s:
        _fake_run(s, "zs")
        s.finish("zs", this_owner(), {"status": "done", "metrics": r})
        assert "predictions" not in s.record("zs").result
        _fake_run(s, "dv")
        s.finish("dv", this_owner(), {"status": "diverged", "metrics": {"score": 0.5, "diverged": True,
                                                                        "predictions": _record(scores=False)}})
        kinds = dict(s.db.execute("SELECT run_id, kind FROM predictions").fetchall())
    assert kinds == {"zs": "scored", "dv": "constant"}
    df = predictions(path, "zs")
    assert list(df.seed.unique()) == [1, 2] and len(df) == 16
    assert list(df.groupby("seed").correct.mean()) == pytest.approx(r["scores"])
    diverged = predictions(path, "dv")
    assert (diverged.prediction == 0).all() and diverged.scores.isna().all()


def test_an_older_store_gains_the_table(tmp_path):
    path = tmp_path / "s.sqlite"
    Store(path).close()
    db = sqlite3.connect(path)
    db.execute("DROP TABLE predictions")
    db.execute("UPDATE stilts_meta SET value='2' WHERE key='schema_version'")
    db.commit()
    db.close()
    with Store(path) as s:
        tables = {r[0] for r in s.db.execute("SELECT name FROM sqlite_master WHERE type='table'")}
        version = s.db.execute("SELECT value FROM stilts_meta WHERE key='schema_version'").fetchone()[0]
    assert "predictions" in tables and version == str(schema.SCHEMA_VERSION) == "3"
    assert (tmp_path / "s.sqlite.v2.bak").exists()


def test_cli_refuses_what_it_cannot_export(tmp_path, capsys):
    path = tmp_path / "s.sqlite"
    Store(path).close()
    assert main(["results", "--store", str(path), "--out", str(tmp_path / "x.csv")]) == 2
    assert "--out is for --predictions" in capsys.readouterr().err
    assert main(["results", "--store", str(path), "--predictions", "abc", "--format", "json"]) == 2
    assert "csv or jsonl" in capsys.readouterr().err


def test_aligned_pairs_only_runs_on_the_same_examples(tmp_path):
    path = tmp_path / "s.sqlite"
    a, b = _record(n=6, seed=1), _record(n=6, seed=1)
    b["prediction"] = 1 - a["prediction"]  # the same examples, other answers
    other = _record(n=6, seed=2)            # other gold labels: another dev set
    heads = {**a, "prediction": np.stack([a["prediction"][0], b["prediction"][0]]),
             "scores": np.concatenate([a["scores"], a["scores"]]), "seeds": np.array([1, 2])}
    with Store(path) as s:
        for run_id, rec in (("ra", a), ("rb", b), ("rc", other), ("rz", heads)):
            _fake_run(s, run_id)
            s.finish(run_id, this_owner(), {"status": "done", "metrics": {"score": 0.5, "predictions": rec}})
    gold, preds, keys = aligned(path, ["ra", "rb", "rz"])
    assert list(gold) == list(a["gold"]) and keys == [("ra", 7), ("rb", 7), ("rz", 1), ("rz", 2)]
    assert preds.shape == (4, 6) and list(preds[1]) == list(1 - a["prediction"][0])
    with pytest.raises(UserError, match="ra and rc scored different dev examples"):
        aligned(path, ["ra", "rc"])


def test_a_zero_shot_score_stored_without_predictions_is_scored_again(tmp_path, sample_data):
    """Notebook 05's stored zero-shot scores: one kept from before predictions existed is
    scored again on the next read (the same identity, the same score), now with them."""
    from stilts_nb.reporting.zero_shot_table import stored_zero_shot

    spec, store = {"model": "tiny:bert", "data_dir": str(sample_data)}, tmp_path / "s.sqlite"
    first = stored_zero_shot(spec, str(store), "tiny:bert", None, "winogrande_xs", [1, 2], 8, study="t")
    (rid,) = results(store).id
    assert len(predictions(store, rid)) == 16
    with Store(store) as s:  # as a store written before predictions were kept has it
        s.db.execute("DELETE FROM predictions")
    again = stored_zero_shot(spec, str(store), "tiny:bert", None, "winogrande_xs", [1, 2], 8, study="t")
    assert list(results(store).id) == [rid] and again["scores"] == first["scores"]
    df = predictions(store, rid)
    assert list(df.groupby("seed").correct.mean()) == pytest.approx(first["scores"])
    read = stored_zero_shot(spec, str(store), "tiny:bert", None, "winogrande_xs", [1, 2], 8, study="t")
    assert read["scores"] == first["scores"] and "predictions" not in read  # read back, not rescored
