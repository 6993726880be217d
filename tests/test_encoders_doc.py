"""docs/encoders.md stays true: its family x feature matrix is recomputed here from the tiny models
and transformers, its hub ids and learning rates are families.py's, and the example sweep of a
second family plans to the runs and cost the doc quotes."""
from __future__ import annotations

import re
from pathlib import Path

import pytest

from stilts_nb.assets import load_tokenizer
from stilts_nb.families import FAMILIES, TINY
from stilts_nb.training import models

REPO = Path(__file__).resolve().parents[1]
DOC = REPO / "docs" / "encoders.md"
COLUMNS = ["tiny model", "model_type", "tokenizer", "token types", "classification head",
           "multiple-choice head", "head transfer", "zero-shot", "bf16", "sdpa", "eager", "compile"]
# what test_encoder_families.py::test_family_end_to_end_from_the_cli runs for every family
TESTED = "tested"
# torch.compile of a tiny model costs 1-2 min of CPU per family: too slow for the suite
COMPILE = "not tested"


def _head(name: str, kind: str) -> str:
    from stilts_nb.tasks import get_task

    task = get_task("rte" if kind == "classification" else "winogrande_xs")
    try:
        model, record = models.build(task, models.inspect(name), seed=0)
    except Exception as err:  # a family without the head: the doc says why
        return f"no: {err}"
    return ", ".join(f"`{p}`" for p in record["new"])


def matrix_row(name: str) -> list:
    from stilts_nb.tasks import get_task

    tok = load_tokenizer(name)
    config = models.inspect(name).config
    emitted = "token_type_ids" in tok("a", "b")
    types = getattr(config, "type_vocab_size", None)
    kinds = {"unigram": "Unigram (SentencePiece)", "wordpiece": "WordPiece", "bpe": "byte-level BPE"}
    sdpa = models.task_class("classification", config)._supports_sdpa
    try:
        models.attention_for(get_task("rte"), models.inspect(name), "sdpa", "sdpa")
        refused = False
    except Exception:
        refused = True
    return [f"`{name}`", f"`{config.model_type}`", kinds[FAMILIES[name].tokenizer],
            f"{'emitted' if emitted else 'not emitted'}; model has "
            f"{'no' if types is None else types} type embedding{'' if types == 1 else 's'}",
            _head(name, "classification"), _head(name, "multiple_choice"), TESTED, TESTED, TESTED,
            "yes" if sdpa else ("no: `auto` runs eager, `sdpa` refused" if refused else "no"),
            "yes", COMPILE]


def doc_table(heading: str) -> list:
    """The rows of the first table under `heading`, as lists of cell strings."""
    lines = DOC.read_text().split(heading, 1)[1].splitlines()
    start = next(i for i, ln in enumerate(lines) if ln.startswith("|"))
    table = []
    for ln in lines[start:]:
        if not ln.startswith("|"):
            break  # the table ends at its first line that is not a row
        if not set(ln) <= set("|-: "):
            table.append([c.strip() for c in ln.strip().strip("|").split("|")])
    return table


def test_matrix_is_what_the_code_does(one_torch_thread):
    rows = doc_table("## Family x feature")
    assert rows[0] == COLUMNS
    assert [r[0] for r in rows[1:]] == [f"`{n}`" for n in TINY]
    for name, row in zip(TINY, rows[1:]):
        assert row == matrix_row(name), name


def test_hub_ids_and_learning_rates_are_the_registry():
    rows = doc_table("## Hub ids")
    assert rows[0] == ["tiny model", "hub ids", "learning rates its authors used"]
    want = [[f"`{n}`", ", ".join(f"`{h}`" for h in f.hub), f.lr] for n, f in FAMILIES.items()]
    assert rows[1:] == want


def test_end_to_end_test_covers_every_family_of_the_matrix():
    import test_encoder_families as e2e

    marks = e2e.test_family_end_to_end_from_the_cli.pytestmark
    covered = next(m.args[1] for m in marks if m.name == "parametrize")
    assert tuple(covered) == TINY


def test_example_sweep_plans_to_the_quoted_cost(shared_data, tmp_path, monkeypatch):
    from stilts_nb.sweeps import dry_run, load_sweep

    monkeypatch.setenv("STILTS_DATA_DIR", str(shared_data))
    d = dry_run(load_sweep(REPO / "parameters/sweeps/deberta-v3.yaml"), tmp_path / "none.sqlite")
    assert d["intermediates"]["runs"] == 3 and d["total"]["runs"] == 3 + 2 * 4 * 36
    text = DOC.read_text()
    quoted = float(re.search(r"\*\*([\d.]+) A100 device-hours\*\*", text).group(1))
    assert d["cost_all"]["hours"] == pytest.approx(quoted, rel=0.1)
    assert f"{d['total']['runs']} runs" in text
    assert not (tmp_path / "none.sqlite").exists()
