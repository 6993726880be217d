"""Tokenized splits: unpadded, truncated per task, multiple choice regrouped, cached."""
import pytest

from stilts_nb.tasks import get_task, tokenize
from stilts_nb.tasks import encode as tokenize_module


def test_classification_pairs_unpadded_and_truncated(shared_data, minilm_tokenizer):
    ds = tokenize(get_task("rte"), "dev", minilm_tokenizer, data_dir=shared_data)
    lengths = [len(ids) for ids in ds["input_ids"]]
    assert len(ds) == 277 and max(lengths) == 100 and min(lengths) < 60  # max_length of RTE; no padding
    first = minilm_tokenizer.decode(ds[0]["input_ids"])
    assert first.count("[SEP]") == 2 and first.startswith("[CLS]")
    fp = tokenize_module.tokenize_split(get_task("rte"), "dev", minilm_tokenizer, data_dir=shared_data).fingerprint
    assert fp.startswith("sha256:")
    assert ds["labels"][:3] == [0, 1, 0] or set(ds["labels"]) == {0, 1}


def test_multiple_choice_regrouped(shared_data, minilm_tokenizer):
    ds = tokenize(get_task("socialiqa"), "dev", minilm_tokenizer, max_length=32, data_dir=shared_data)
    row = ds[0]
    assert len(row["input_ids"]) == 3 and len(row["attention_mask"]) == 3 and row["labels"] == 2
    assert all(len(choice) <= 32 for choice in row["input_ids"])
    assert minilm_tokenizer.decode(row["input_ids"][1]).endswith("go home and see riley [SEP]")


def test_single_sentence_task_has_no_second_segment(shared_data, minilm_tokenizer):
    ds = tokenize(get_task("cola"), "dev", minilm_tokenizer, data_dir=shared_data)
    assert all(ids.count(minilm_tokenizer.sep_token_id) == 1 for ids in ds["input_ids"][:50])


def test_second_use_is_served_from_cache(shared_data, minilm_tokenizer, monkeypatch):
    task = get_task("winogrande_xs")
    # a module-scoped fixture elsewhere (test_training_transfer) may have tokenized this split
    # into memory under another cache folder: start cold, so the disk entry is this test's
    tokenize_module._MEMORY.clear()
    first = tokenize(task, "train", minilm_tokenizer, data_dir=shared_data)

    def no_encoding(*args, **kwargs):
        raise AssertionError("re-tokenized although cached")

    monkeypatch.setattr(tokenize_module, "_encode", no_encoding)
    assert tokenize(task, "train", minilm_tokenizer, data_dir=shared_data) is first   # memory
    tokenize_module._MEMORY.clear()
    again = tokenize(task, "train", minilm_tokenizer, data_dir=shared_data)          # disk
    assert again["input_ids"] == first["input_ids"]
    with pytest.raises(AssertionError, match="re-tokenized"):
        tokenize(task, "train", minilm_tokenizer, max_length=20, data_dir=shared_data)  # new key


def test_a_cached_split_carries_its_data_fingerprint_in_its_own_field(shared_data, minilm_tokenizer):
    from stilts_nb.tasks import load

    task = get_task("winogrande_xs")
    fresh = tokenize_module.tokenize_split(task, "dev", minilm_tokenizer, data_dir=shared_data)
    tokenize_module._MEMORY.clear()
    cached = tokenize_module.tokenize_split(task, "dev", minilm_tokenizer, data_dir=shared_data)   # from disk
    assert fresh.fingerprint == cached.fingerprint == load(task, "dev", shared_data).fingerprint
    assert fresh.fingerprint not in (cached.dataset.info.description or "")   # not smuggled in metadata
