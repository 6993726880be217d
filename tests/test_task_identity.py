"""A task's content is part of every run's identity and of the tokenization cache key: editing
how a task builds its input never hands back old results (issue 17, item 1)."""
import json
import os
import subprocess
import sys
from dataclasses import replace

import pytest

from stilts_nb.cli import main
from stilts_nb.sweeps import expand, parse_sweep, results, run_sweep
from stilts_nb.tasks import get_task, samples, transforms
from stilts_nb.assets import load_tokenizer
from stilts_nb.tasks.content import _digest_source, content_id
from stilts_nb.tasks.encode import tokenize_split
from stilts_nb.training import ENGINE_VERSION
from test_sweeps_common import sweep_dict

REPO = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))


def plan_ids(data_dir, **over) -> list:
    return [r.id for r in expand(parse_sweep(sweep_dict(data_dir, **over), "t.yaml")).runs]


def edit_rte_format(monkeypatch):
    """What a researcher does when trying another input: hypothesis first."""
    from stilts_nb import tasks

    swapped = replace(tasks.TASKS["rte"], format=lambda ex, sep: (ex["hypothesis"], ex["premise"]))
    monkeypatch.setitem(tasks.TASKS, "rte", swapped)


def test_an_edited_format_gives_new_run_ids(rte_dir, monkeypatch):
    before = plan_ids(rte_dir)
    edit_rte_format(monkeypatch)
    after = plan_ids(rte_dir)
    assert len(after) == len(before) and set(after).isdisjoint(before)


def test_an_edited_format_gives_a_new_cache_entry(rte_dir, monkeypatch, tmp_path):
    tokenizer = load_tokenizer("tiny:roberta")  # any tokenizer: the subject is the cache key
    monkeypatch.setenv("STILTS_CACHE", str(tmp_path / "cache"))
    monkeypatch.setattr("stilts_nb.tasks.encode._MEMORY", {})  # earlier tests' in-process hits
    first = tokenize_split(get_task("rte"), "dev", tokenizer, data_dir=rte_dir).dataset
    edit_rte_format(monkeypatch)
    second = tokenize_split(get_task("rte"), "dev", tokenizer, data_dir=rte_dir).dataset
    assert len(list((tmp_path / "cache" / "tokenized").iterdir())) == 2
    # the new entry holds the new input: the premise (12 words) now comes second
    assert first["input_ids"][0] != second["input_ids"][0]


def test_an_edited_transform_rule_gives_new_ids(tmp_path, monkeypatch):
    data = samples.write(tmp_path / "data", {"hellaswag": (40, 16)})
    task = get_task("hellaswag-sh")
    before = content_id(task)
    ids = plan_ids(data, targets=["hellaswag-sh"])

    def reverse_wrong_endings(ex):  # another rule: reverse the words instead of shuffling
        return {**ex, "endings": [" ".join(e.split()[::-1]) if i != ex["label"] else e
                                  for i, e in enumerate(ex["endings"])]}

    monkeypatch.setattr(transforms, "shuffle_wrong_endings", reverse_wrong_endings)
    assert content_id(get_task("hellaswag-sh")) != before
    assert set(plan_ids(data, targets=["hellaswag-sh"])).isdisjoint(ids)


def test_comments_and_layout_keep_the_id_code_does_not():
    plain = "def f(x):\n    if x:\n        a()\n    b()\n"
    assert _digest_source(plain) == _digest_source(
        '# why\ndef f(x):\n    """Doc."""\n    if x:   # a comment\n            a()\n    b(\n    )\n')
    assert _digest_source(plain) != _digest_source("def f(x):\n    if x:\n        a()\n        b()\n")
    assert _digest_source(plain) != _digest_source(plain.replace("b()", "c()"))


def test_the_id_names_the_code_that_runs_not_the_file_edited_since(tmp_path, monkeypatch):
    """A notebook kernel that has not reloaded an edited task file still runs the old format:
    its runs keep the old id until the module is reloaded."""
    import importlib

    from stilts_nb.tasks.content import code_digest

    module = tmp_path / "edited_task.py"
    module.write_text("def fmt(ex, sep):\n    return ex['a'], ex['b']\n")
    monkeypatch.syspath_prepend(str(tmp_path))
    monkeypatch.setattr(sys, "dont_write_bytecode", True)  # reload must compile the new text
    mod = importlib.import_module("edited_task")
    before = code_digest(mod.fmt)
    module.write_text("def fmt(ex, sep):\n    return ex['b'], ex['a'] + sep\n")
    assert code_digest(mod.fmt) == before             # the loaded code has not changed
    reloaded = importlib.reload(mod).fmt
    assert reloaded({"a": "A", "b": "B"}, "|") == ("B", "A|") and code_digest(reloaded) != before


def test_an_unchanged_task_keeps_its_ids_across_processes(rte_dir):
    code = ("import json, sys; from stilts_nb.sweeps import expand, parse_sweep; "
            "d = json.loads(sys.argv[1]); "
            "print(json.dumps([r.id for r in expand(parse_sweep(d, 't.yaml')).runs]))")
    sweep = json.dumps(sweep_dict(rte_dir, intermediates=["none", "rte"]))
    env = {**os.environ, "PYTHONHASHSEED": "random"}
    runs = [json.loads(subprocess.run([sys.executable, "-c", code, sweep], capture_output=True,
                                      text=True, check=True, env=env, cwd=REPO).stdout)
            for _ in range(2)]
    assert runs[0] == runs[1] == plan_ids(rte_dir, intermediates=["none", "rte"])


def test_every_task_has_a_content_id_and_variants_differ():
    from stilts_nb.tasks import TASKS

    ids = {name: content_id(get_task(name)) for name in TASKS}
    assert all(len(v) == 16 for v in ids.values())
    assert len({content_id(get_task(n)) for n in ("hellaswag", "hellaswag-p", "hellaswag-sh",
                                                   "hellaswag@100")}) == 4
    # the training-set size is the data's business, not the content's: same format and reader
    assert ids["winogrande_xs"] == ids["winogrande_m"]


def test_runs_of_an_edited_task_are_shown_stale_and_not_reused(tmp_path, rte_dir, fake_train,
                                                                monkeypatch, capsys):
    store = tmp_path / "st.sqlite"
    sweep = parse_sweep(sweep_dict(rte_dir), "t.yaml")
    assert run_sweep(sweep, store, progress=False)["done"] == 2
    assert (results(store)["stale"] == "").all()
    edit_rte_format(monkeypatch)
    df = results(store)
    assert list(df["stale"]) == ["the task's definition has changed since"] * 2  # kept, readable
    assert run_sweep(parse_sweep(sweep_dict(rte_dir), "t.yaml"), store, progress=False)["done"] == 2
    assert len(fake_train.calls) == 4                # trained again, not handed the old results
    assert len(results(store)) == 4
    assert main(["status", "--store", str(store)]) == 0
    out = capsys.readouterr().out
    assert "stale: 2 finished runs are kept but no longer reused" in out
    assert "2: the task's definition has changed since" in out


@pytest.mark.parametrize("change, reason", [
    (lambda ident: ident.update(engine="2"), f"training engine 2 (now {ENGINE_VERSION})"),
    (lambda ident: ident.pop("task_content"), "made before task definitions were part"),
])
def test_runs_of_an_older_engine_or_store_are_stale(tmp_path, rte_dir, fake_train, change, reason):
    from stilts_nb.sweeps import Store

    store = tmp_path / "st.sqlite"
    run_sweep(parse_sweep(sweep_dict(rte_dir), "t.yaml"), store, progress=False)
    with Store(store) as s, s.write() as db:  # what a store written by an older stilts-nb holds
        for row_id, identity in db.execute("SELECT id, identity FROM runs").fetchall():
            ident = json.loads(identity)
            change(ident)
            db.execute("UPDATE runs SET identity=? WHERE id=?", (json.dumps(ident), row_id))
    assert results(store)["stale"].str.startswith(reason).all()
