"""Per-example predictions of a run's final dev scoring (and of each zero-shot scoring), kept in
the store the way lm-evaluation-harness's ``--log_samples`` keeps them beside its scores.

    from stilts_nb.sweeps.predictions import predictions
    df = predictions("runs/stilts.sqlite", ["3f2a...", "9b1c..."])
    df.groupby("run_id").correct.mean()            # each run's accuracy, from its examples

One row of the store's ``predictions`` table per run (schema.py, records.py): the arrays of
``evaluate.prediction_record`` in one compressed numpy ``.npz`` blob (``example_id``, ``gold``,
``prediction`` [scorings x examples], ``scores`` [scorings x examples x classes or choices],
``seeds``), so a run on RTE's 277 dev examples costs 4 kB. The store writes it in the
transaction that records the run's result (Store.finish): a run either has the predictions of
the result it reports or none, and a rerun's replace the old ones. Why the store and not a
sidecar file per run: that one transaction is what makes them never stale, the store's folder is
what moves between machines, and the driver, the store's only writer, is where every executor's
results arrive already.
"""
from __future__ import annotations

import json

import numpy as np

from ..errors import UserError
from .records import decode

COLUMNS = ["run_id", "seed", "example", "example_id", "gold", "prediction", "correct", "scores"]


def load(store, run_id: str) -> dict | None:
    """One run's arrays (plus ``kind``), or None where it has none. `store`: a path or a Store."""
    from .store import Store

    own = not isinstance(store, Store)
    s = Store(store, create=False) if own else store
    try:
        row = s.db.execute("SELECT kind, arrays FROM predictions WHERE run_id=?", (run_id,)).fetchone()
    finally:
        if own:
            s.close()
    return None if row is None else {"kind": row["kind"], **decode(row["arrays"])}


def predictions(store, run_ids, missing: str = "raise"):
    """The per-example predictions of runs, one row per (run, scoring, example).

    Columns: run_id; seed (the run's seed, or the head seed of each zero-shot scoring); example
    (the position in the scored dev set, 0-based, the same for every run on that dev set);
    example_id (the task's own id); gold; prediction; correct; scores (the logits per class or
    choice, a list; None for a diverged run, whose broken model answers the first class
    everywhere). A run id may be given by a unique prefix. ``missing="raise"``: a run without
    stored predictions (not finished, failed, or finished before they were kept) is an error
    that says which and why; ``"skip"``: it is left out.
    """
    import pandas as pd  # here, not at the top: Store.finish imports this module

    from .store import Store

    if isinstance(run_ids, str):
        run_ids = [run_ids]
    frames = []
    with Store(store, create=False) as s:
        for given in run_ids:
            run_id = _resolve(s, given)
            arrays = load(s, run_id)
            if arrays is None:
                if missing == "skip":
                    continue
                raise UserError(f"run {run_id}: no stored predictions ({_why_none(s, run_id)})")
            frames.append(_frame(run_id, arrays))
    if not frames:
        return pd.DataFrame(columns=COLUMNS)
    return pd.concat(frames, ignore_index=True)[COLUMNS]


def aligned(store, run_ids) -> tuple:
    """-> (gold [examples], predictions [scorings x examples], [(run_id, seed) per row]): the runs'
    predictions as the arrays analysis/paired.py takes, one row per scoring (a zero-shot score
    over head seeds gives one per seed), after checking that every run scored the same examples
    (the same example ids and gold labels in the same order): a paired measure over different
    dev sets would pair unrelated examples."""
    df = predictions(store, run_ids)
    gold, rows, keys = None, [], []
    for (run_id, seed), group in df.groupby(["run_id", "seed"], sort=False):
        this = (list(group.example_id), list(group.gold))
        if gold is None:
            gold, first = this, run_id
        elif this != gold:
            raise UserError(f"runs {first} and {run_id} scored different dev examples (ids or gold "
                            "labels differ): not a paired comparison")
        rows.append(group.prediction.to_numpy())
        keys.append((run_id, int(seed)))
    if gold is None:
        raise UserError("no runs given")
    return np.asarray(gold[1]), np.stack(rows), keys


def _frame(run_id: str, a: dict):
    import pandas as pd

    k, n = a["prediction"].shape
    scores = a.get("scores")
    return pd.DataFrame({
        "run_id": run_id, "seed": np.repeat(a["seeds"], n), "example": np.tile(np.arange(n), k),
        "example_id": np.tile(a["example_id"], k), "gold": np.tile(a["gold"], k),
        "prediction": a["prediction"].reshape(-1),
        "correct": a["prediction"].reshape(-1) == np.tile(a["gold"], k),
        "scores": list(scores.reshape(k * n, -1).tolist()) if scores is not None else [None] * (k * n)})


def _resolve(s, given: str) -> str:
    hits = [r[0] for r in s.db.execute("SELECT id FROM runs WHERE substr(id, 1, length(?)) = ?",
                                       (given, given))]
    if len(hits) == 1:
        return hits[0]
    if not hits:
        raise UserError(f"run {given!r}: no such run in {s.path}")
    raise UserError(f"run {given!r}: ambiguous, {len(hits)} runs start with it; give more digits")


def _why_none(s, run_id: str) -> str:
    status = s.record(run_id).status
    if status not in ("done", "diverged"):
        return f"the run is {status}"
    return ("it finished before predictions were kept; Store.forget(run_id) and rerun its sweep "
            "to score it again")


def export(df, fmt: str, out) -> None:
    """CSV (scores as a JSON list per row) or JSON lines, to a file or a text stream."""
    if fmt == "jsonl":
        text = "".join(json.dumps(r, default=_plain) + "\n" for r in df.to_dict(orient="records"))
    elif fmt == "csv":
        text = df.assign(scores=df["scores"].map(lambda v: None if v is None else json.dumps(v))
                         ).to_csv(index=False)
    else:
        raise UserError(f"--predictions: --format csv or jsonl, not {fmt}")
    if hasattr(out, "write"):
        out.write(text)
    else:
        with open(out, "w") as f:
            f.write(text)


def _plain(v):
    return v.item() if hasattr(v, "item") else str(v)
