"""The generic variants: -p, -sh and @N on any multiple-choice task."""
from collections import Counter

import pytest

from formats import HELLASWAG, write_jsonl
from stilts_nb.errors import UserError
from stilts_nb.tasks import get_task, load


def test_shuffle_keeps_the_true_ending_and_the_words(tmp_path):
    write_jsonl(tmp_path / "HellaSwag" / "hellaswag_train.jsonl", HELLASWAG)
    plain = load(get_task("hellaswag"), "train", tmp_path).examples
    shuffled = load(get_task("hellaswag-sh"), "train", tmp_path).examples
    again = load(get_task("hellaswag-sh"), "train", tmp_path).examples
    assert shuffled == again  # seeded
    for a, b in zip(plain, shuffled):
        assert b["endings"][a["label"]] == a["endings"][a["label"]]
        for i, (x, y) in enumerate(zip(a["endings"], b["endings"])):
            assert Counter(x.split()) == Counter(y.split())
    changed = [i for i in range(4) if plain[0]["endings"][i] != shuffled[0]["endings"][i]]
    assert changed and plain[0]["label"] not in changed
    assert shuffled[0]["ctx_a"] == plain[0]["ctx_a"]  # premise untouched


def test_shuffle_does_not_depend_on_file_order(tmp_path):
    write_jsonl(tmp_path / "a" / "HellaSwag" / "hellaswag_train.jsonl", HELLASWAG)
    write_jsonl(tmp_path / "b" / "HellaSwag" / "hellaswag_train.jsonl", HELLASWAG[::-1])
    a = load(get_task("hellaswag-sh"), "train", tmp_path / "a").examples
    b = load(get_task("hellaswag-sh"), "train", tmp_path / "b").examples
    assert a == b[::-1]


def test_subsamples_are_nested_and_dev_is_whole(shared_data):
    full = load(get_task("winogrande_m"), "train", shared_data).examples
    small = load(get_task("winogrande_m@200"), "train", shared_data).examples
    large = load(get_task("winogrande_m@1000"), "train", shared_data).examples
    ids = lambda rows: {r["id"] for r in rows}  # noqa: E731
    assert (len(small), len(large)) == (200, 1000)
    assert ids(small) < ids(large) < ids(full)
    assert small == load(get_task("winogrande_m@200"), "train", shared_data).examples
    assert len(load(get_task("winogrande_m@200"), "dev", shared_data).examples) == 1267
    assert get_task("winogrande_m@200").name == "winogrande_m@200"


def test_subsample_larger_than_the_data(shared_data):
    with pytest.raises(UserError, match="asked for 500 training examples, the training set has 160"):
        load(get_task("winogrande_xs@500"), "train", shared_data)


def test_premise_drop_and_subsample_combine(tmp_path):
    write_jsonl(tmp_path / "HellaSwag" / "hellaswag_train.jsonl", HELLASWAG)
    task = get_task("hellaswag-p@1")
    assert task.transforms == ("p",) and task.subsample == 1 and task.max_length == 50
    assert len(load(task, "train", tmp_path).examples) == 1
