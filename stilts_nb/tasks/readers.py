"""Line-numbered readers for the official formats: every problem names its file and line."""
from __future__ import annotations

import json
from pathlib import Path

from ..errors import UserError, where


def jsonl(path: Path):
    """Yield (line number, object) for every non-empty line."""
    with open(path, encoding="utf-8") as fh:
        for n, line in enumerate(fh, 1):
            if not line.strip():
                continue
            try:
                obj = json.loads(line)
            except json.JSONDecodeError as err:
                raise UserError(f"{where(path, n)}: not valid JSON ({err.msg})") from None
            if not isinstance(obj, dict):
                raise UserError(f"{where(path, n)}: expected a JSON object, got {type(obj).__name__}")
            yield n, obj


def tsv(path: Path, columns: int, header: bool):
    """Yield (line number, fields) of a GLUE-style tsv (no quoting: GLUE text contains quotes)."""
    with open(path, encoding="utf-8") as fh:
        for n, line in enumerate(fh, 1):
            line = line.rstrip("\n").rstrip("\r")
            if (header and n == 1) or not line.strip():
                continue
            fields = line.split("\t")
            if len(fields) != columns:
                raise UserError(f"{where(path, n)}: expected {columns} tab-separated fields, "
                                f"found {len(fields)}")
            yield n, fields


def lines(path: Path) -> list:
    """Non-empty stripped lines with their numbers, e.g. a labels file."""
    if not path.exists():
        raise UserError(f"{path}: no such file (the labels that go with {path.name.split('-')[0]})")
    with open(path, encoding="utf-8") as fh:
        return [(n, line.strip()) for n, line in enumerate(fh, 1) if line.strip()]


def need(obj: dict, key: str, path: Path, n: int, kind=str):
    """A required field of the expected type, or a clear error."""
    if key not in obj:
        raise UserError(f"{where(path, n)}: missing field {key!r}")
    value = obj[key]
    if not isinstance(value, kind):
        raise UserError(f"{where(path, n)}: field {key!r} should be {kind.__name__}, "
                        f"got {type(value).__name__}")
    return value


def endings(obj: dict, path: Path, n: int, count: int) -> list:
    """The `endings` list of a multiple-choice row, with exactly `count` strings."""
    value = need(obj, "endings", path, n, list)
    if len(value) != count or not all(isinstance(e, str) for e in value):
        raise UserError(f"{where(path, n)}: expected {count} endings (strings), found {len(value)}")
    return value


def choice(obj: dict, path: Path, n: int, count: int) -> int:
    """A 0-based answer index stored as an int or a digit string (the hub stores strings)."""
    return label(need(obj, "label", path, n, (int, str)),
                 {i: i for i in range(count)} | {str(i): i for i in range(count)}, path, n)


def label(value, mapping: dict, path: Path, n: int) -> int:
    """Map a label as written in the file to its 0-based id."""
    key = value.strip() if isinstance(value, str) else value
    if key not in mapping:
        expected = ", ".join(repr(k) for k in mapping)
        raise UserError(f"{where(path, n)}: unknown label {value!r}; expected one of {expected}")
    return mapping[key]


def with_labels(path: Path, examples: list, labels_path: Path, mapping: dict) -> list:
    """Attach the labels of a one-label-per-line file, checking the lengths agree."""
    rows = lines(labels_path)
    if len(rows) != len(examples):
        raise UserError(f"{labels_path}: {len(rows)} labels for {len(examples)} examples in {path}; "
                        "they must have one label per example")
    for ex, (n, value) in zip(examples, rows):
        ex["label"] = label(value, mapping, labels_path, n)
    return examples
