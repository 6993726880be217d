"""The store's ``predictions`` table, row by row: a run's per-example record (evaluate.prediction_record)
as one compressed numpy ``.npz`` blob. Apart from sweeps/predictions.py (the reading API) because
Store.finish writes through it and the reading API opens a Store: one module would import the other
both ways."""
from __future__ import annotations

import io

import numpy as np


def encode(record: dict) -> dict:
    """A record (evaluate.prediction_record) -> the predictions table's columns but run_id."""
    arrays = {k: np.asarray(v) for k, v in record.items() if v is not None}
    arrays["example_id"] = arrays["example_id"].astype(str)  # never an object array: no pickle
    buffer = io.BytesIO()
    np.savez_compressed(buffer, **arrays)
    return {"kind": "scored" if record.get("scores") is not None else "constant",
            "examples": int(arrays["gold"].shape[0]), "scorings": int(arrays["prediction"].shape[0]),
            "arrays": buffer.getvalue()}


def decode(blob: bytes) -> dict:
    with np.load(io.BytesIO(blob), allow_pickle=False) as npz:
        return {k: npz[k] for k in npz.files}


def write(db, run_id: str, record: dict | None) -> None:
    """Inside the caller's transaction: the run's predictions become `record`'s, or none."""
    db.execute("DELETE FROM predictions WHERE run_id=?", (run_id,))
    if record is not None:
        row = {"run_id": run_id, **encode(record)}
        db.execute(f"INSERT INTO predictions ({', '.join(row)}) VALUES ({', '.join('?' * len(row))})",
                   list(row.values()))
