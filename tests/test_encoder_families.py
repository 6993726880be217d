"""Today's encoder families, each through the whole path from the command line: its tokenizer's
conventions, a classification and a multiple-choice task, the intermediate -> target transfer
(head rule, keep_head), zero-shot scoring, bf16 where the CPU has it, sdpa and eager attention,
and the run record naming the family; plus the one-line refusals. docs/encoders.md's matrix is
checked by test_encoders_doc.py."""
from __future__ import annotations

import json

import pytest
import torch

from stilts_nb import cli
from stilts_nb.assets import load_tokenizer
from stilts_nb.families import FAMILIES, TINY
from stilts_nb import hardware
from stilts_nb.training import models

# family -> (transformers model_type, tokenizer class, special tokens as cls/sep/pad,
#            token types the tokenizer emits, pair separator between A and B)
CONVENTIONS = {
    "tiny:deberta-v3": ("deberta-v2", "DebertaV2Tokenizer", ("[CLS]", "[SEP]", "[PAD]"), True, ["[SEP]"]),
    "tiny:electra": ("electra", "BertTokenizer", ("[CLS]", "[SEP]", "[PAD]"), True, ["[SEP]"]),
    "tiny:modernbert": ("modernbert", "TokenizersBackend", ("[CLS]", "[SEP]", "[PAD]"), False, ["[SEP]"]),
    "tiny:xlm-roberta": ("xlm-roberta", "XLMRobertaTokenizer", ("<s>", "</s>", "<pad>"), False,
                         ["</s>", "</s>"]),
    "tiny:albert": ("albert", "AlbertTokenizer", ("[CLS]", "[SEP]", "<pad>"), False, ["[SEP]"]),
    "tiny:distilbert": ("distilbert", "DistilBertTokenizer", ("[CLS]", "[SEP]", "[PAD]"), False, ["[SEP]"]),
}
# the head's parameter prefixes of each family's task models (outside the encoder's prefix)
HEADS = {
    "tiny:deberta-v3": ("deberta", ["classifier", "pooler"], ["classifier", "pooler"]),
    "tiny:electra": ("electra", ["classifier"], ["classifier", "sequence_summary"]),
    "tiny:modernbert": ("model", ["classifier", "head"], ["classifier", "head"]),
    "tiny:xlm-roberta": ("roberta", ["classifier"], ["classifier"]),
    "tiny:albert": ("albert", ["classifier"], ["classifier"]),
    "tiny:distilbert": ("distilbert", ["classifier", "pre_classifier"], ["classifier", "pre_classifier"]),
}


def test_every_family_is_covered():
    assert set(CONVENTIONS) == set(HEADS) == set(TINY) == set(FAMILIES)
    assert set(TINY) <= set(models.TINY_ENCODERS)


@pytest.mark.parametrize("name", TINY)
def test_tokenizer_keeps_the_family_conventions(name):
    model_type, cls, (bos, sep, pad), types, between = CONVENTIONS[name]
    tok = load_tokenizer(name)
    assert type(tok).__name__ == cls and len(tok) == 2000
    assert (tok.cls_token, tok.sep_token, tok.pad_token) == (bos, sep, pad)
    enc = tok("The river bank.", "She sat on the bank.")
    a = tok("The river bank.", add_special_tokens=False)["input_ids"]
    b = tok("She sat on the bank.", add_special_tokens=False)["input_ids"]
    ids = tok.convert_tokens_to_ids([bos, *between])
    assert enc["input_ids"] == [ids[0], *a, *ids[1:], *b, tok.sep_token_id]  # the family's template
    assert ("token_type_ids" in enc) == types
    # a WiC input carries the separator inside its first text: encoded as the token, not as text
    wic = tok(f"bank{sep}He ran the bank.")["input_ids"]
    assert wic.count(tok.sep_token_id) == 2
    pieces = tok.convert_ids_to_tokens(a)
    kind = FAMILIES[name].tokenizer
    assert any(p.startswith("▁") for p in pieces) == (kind == "unigram")   # SentencePiece marker
    assert any(p.startswith("##") for p in tok.convert_ids_to_tokens(
        tok("unbelievably unremarkable", add_special_tokens=False)["input_ids"])) == (kind == "wordpiece")
    assert any(p.startswith("Ġ") for p in pieces) == (kind == "bpe")      # byte-level space
    assert models.inspect(name).config.model_type == model_type


@pytest.mark.parametrize("name", TINY)
def test_dropout_setting_reaches_every_dropout_of_the_family(name, one_torch_thread):
    from stilts_nb.tasks import get_task

    for task in (get_task("rte"), get_task("winogrande_xs")):
        model, _ = models.build(task, models.inspect(name), seed=0, dropout=0.0)
        # qa_dropout (DistilBERT) belongs to a question-answering head no task here builds
        rates = {k: v for k, v in model.config.to_dict().items()
                 if "dropout" in k and isinstance(v, float) and k != "qa_dropout"}
        assert rates and set(rates.values()) == {0.0}, rates
        assert all(m.p == 0.0 for m in model.modules() if isinstance(m, torch.nn.Dropout))


def _train(tmp, data, name, task, *extra, out):
    args = ["train", "--task", task, "--model", name, "--lr", "1e-3", "--batch-size", "4",
            "--epochs", "1", "--train-limit", "8", "--eval-limit", "8", "--seed", "3", "--warmup-ratio", "0",
            "--data-dir", str(data), "--out", str(tmp / out), "--no-progress", *extra]
    assert cli.main(args) == 0
    return json.loads((tmp / out / "metrics.json").read_text())


@pytest.mark.parametrize("name", TINY)
def test_family_end_to_end_from_the_cli(name, sample_data, tmp_path, one_torch_thread):
    """Per family: the two task kinds as intermediates (saved), zero-shot of the multiple-choice
    checkpoint, then targets from each checkpoint under the head rule, in bf16 (where the CPU
    has it) with eager attention, so sdpa and eager are both run."""
    model_type = CONVENTIONS[name][0]
    encoder, cls_head, mc_head = HEADS[name]
    sdpa = "eager" if name == "tiny:deberta-v3" else "sdpa"  # auto falls back where sdpa is missing
    mc = _train(tmp_path, sample_data, name, "winogrande_xs", "--save", "--attention", "auto",
                "--precision", "fp32", out="mc")
    assert (mc["family"], mc["model"], mc["attention"], mc["precision"]) == (model_type, name, sdpa, "fp32")
    assert mc["transferred"] == [encoder] and mc["new"] == mc_head and 0 <= mc["score"] <= 1
    assert mc["optimizer_steps"] == 2 and not mc["diverged"]
    rte = _train(tmp_path, sample_data, name, "rte", "--save", "--precision", "fp32", out="cls")
    assert rte["family"] == model_type and rte["new"] == cls_head and rte["transferred"] == [encoder]

    # zero-shot: a multiple-choice checkpoint keeps its head, so one seed's score is the score
    assert cli.main(["evaluate", "--task", "winogrande_xs", "--model", str(tmp_path / "mc"),
                     "--seeds", "1,2", "--eval-limit", "8", "--data-dir", str(sample_data),
                     "--out", str(tmp_path / "zs"), "--no-progress"]) == 0
    zs = json.loads((tmp_path / "zs" / "metrics.json").read_text())
    assert zs["family"] == model_type and zs["head_transferred"] and zs["scores"] == [mc["score"]]

    bf16 = "bf16" if hardware.probe().cpu_bf16 else "fp32"
    kept = _train(tmp_path, sample_data, name, "rte", "--init", str(tmp_path / "cls"), "--keep-head",
                  "--precision", "auto", "--attention", "eager", out="kept")
    assert (kept["precision"], kept["attention"], kept["family"]) == (bf16, "eager", model_type)
    assert kept["head_transferred"] and kept["new"] == [] and kept["source_kind"] == "classification"
    assert sorted(kept["transferred"]) == sorted([encoder, *cls_head])
    crossed = _train(tmp_path, sample_data, name, "rte", "--init", str(tmp_path / "mc"), "--keep-head",
                     "--precision", "auto", "--attention", "eager", out="crossed")
    assert not crossed["head_transferred"] and crossed["new"] == cls_head
    assert crossed["head_reason"].startswith("new head: the source's head is multiple_choice")
    assert all(torch.isfinite(torch.tensor(r["score"])) for r in (kept, crossed))


def _no_compute(monkeypatch):
    def refuse(*a, **k):
        raise AssertionError("tokenized or built a model before refusing")
    monkeypatch.setattr("stilts_nb.training.data.split", refuse)
    monkeypatch.setattr("stilts_nb.training.models.build", refuse)


def test_deberta_refuses_explicit_sdpa_in_one_line(sample_data, tmp_path, monkeypatch, capsys):
    _no_compute(monkeypatch)
    code = cli.main(["train", "--task", "rte", "--model", "tiny:deberta-v3", "--lr", "1e-3",
                     "--batch-size", "4", "--warmup-ratio", "0", "--seed", "1", "--attention", "sdpa",
                     "--data-dir", str(sample_data), "--out", str(tmp_path / "r")])
    err = capsys.readouterr().err.strip()
    assert code == 2 and len(err.splitlines()) == 1
    assert "'deberta-v2'" in err and "no sdpa attention" in err and "eager" in err


def test_family_without_a_multiple_choice_head_is_refused(sample_data, tmp_path, monkeypatch, capsys):
    """GPT-2 has a classification head in transformers but no multiple-choice one (its tokenizer
    does not matter here: the refusal comes first)."""
    from transformers import GPT2Config, GPT2Model

    folder = tmp_path / "gpt2"
    gpt2 = GPT2Config(vocab_size=64, n_embd=8, n_layer=1, n_head=1, n_positions=32)
    GPT2Model(gpt2).save_pretrained(folder)
    _no_compute(monkeypatch)
    monkeypatch.setattr("stilts_nb.training.data.load_tokenizer",
                        lambda name: load_tokenizer("tiny:distilbert"))
    code = cli.main(["train", "--task", "winogrande_xs", "--model", str(folder), "--lr", "1e-3",
                     "--batch-size", "4", "--warmup-ratio", "0", "--seed", "1",
                     "--data-dir", str(sample_data), "--out", str(tmp_path / "r")])
    err = capsys.readouterr().err.strip()
    assert code == 2 and len(err.splitlines()) == 1
    assert "'gpt2' has no multiple-choice head" in err
