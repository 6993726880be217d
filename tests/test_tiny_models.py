"""The tiny models: the conventions of the paper's families (tiny:roberta, tiny:gpt2) and of the
demo's models (tiny:bert, tiny:causal-lm) on tiny random models, with tokenizers of their own."""
from __future__ import annotations

import json

import pytest
import torch

from stilts_nb import cli
from stilts_nb.assets import load_tokenizer
from stilts_nb.synthesis import SynthesisConfig, build
from stilts_nb.synthesis.generate import Generator, Sampling, load_causal_lm


@pytest.fixture(scope="module")
def roberta():
    return load_tokenizer("tiny:roberta")


def test_roberta_pair_template_and_separator(roberta):
    assert (roberta.bos_token, roberta.sep_token, roberta.pad_token) == ("<s>", "</s>", "<pad>")
    s, sep = roberta.convert_tokens_to_ids(["<s>", "</s>"])
    assert (s, sep, roberta.pad_token_id) == (0, 2, 1)  # RoBERTa's own ids
    a = roberta("He ran the bank.", add_special_tokens=False)["input_ids"]
    b = roberta("She sat on the bank.", add_special_tokens=False)["input_ids"]
    # <s> A </s></s> B </s>, the template of roberta-large
    assert roberta("He ran the bank.", "She sat on the bank.")["input_ids"] == [s, *a, sep, sep, *b, sep]
    # a WiC input carries the separator inside its first text: it is encoded as </s>, not as text
    wic = roberta("bank</s>He ran the bank.", "She sat on the bank.")["input_ids"]
    word = roberta("bank", add_special_tokens=False)["input_ids"]
    assert wic[:len(word) + 2] == [s, *word, sep]
    assert wic.count(sep) == 4
    # byte-level BPE: any text round-trips, with a word-initial space marker as RoBERTa's
    text = "naïve café — 3.5 µm"
    assert roberta.decode(roberta(text)["input_ids"], skip_special_tokens=True) == text
    assert roberta.convert_ids_to_tokens(roberta(" the")["input_ids"])[1] == "Ġthe"


def test_tokenizer_is_built_once_and_deterministic(roberta, tmp_path):
    from stilts_nb import tiny_models
    from stilts_nb.assets import cache_dir

    first = tiny_models.tokenizer_folder("tiny:roberta", cache_dir())
    assert tiny_models.tokenizer_folder("tiny:roberta", cache_dir()) == first  # cached: the same folder
    again = tiny_models.tokenizer_folder("tiny:roberta", tmp_path)  # a fresh build elsewhere
    assert again != first
    assert (again / "tokenizer.json").read_text() == (first / "tokenizer.json").read_text()


def test_every_tiny_tokenizer_is_the_same_in_every_process(tmp_path):
    """A tiny model is defined by its recipe (run identities carry only its version): two fresh
    processes must build the same vocabulary for every tiny model. tokenizers' WordPiece and
    Unigram trainers did not (ties fall by a per-process hash order)."""
    import os
    import subprocess
    import sys

    script = ("import hashlib; from stilts_nb.assets import load_tokenizer; "
              "from stilts_nb.tiny_models import TINY_MODELS; "
              "print({n: hashlib.sha1(repr(sorted(load_tokenizer(n).get_vocab().items())).encode())"
              ".hexdigest() for n in TINY_MODELS})")

    def built(cache):
        env = {**os.environ, "STILTS_CACHE": str(tmp_path / cache)}
        return subprocess.run([sys.executable, "-c", script], env=env, capture_output=True,
                              text=True, check=True).stdout

    first = built("one")
    assert "tiny:bert" in first and "tiny:deberta-v3" in first
    assert built("two") == first


def test_preview_shows_roberta_separator(shared_data, capsys):
    def preview(*tokenizer):
        assert cli.main(["preview", "wic", "--split", "dev", "--limit", "2", *tokenizer,
                         "--data-dir", str(shared_data)]) == 0
        return [json.loads(line) for line in capsys.readouterr().out.splitlines()]

    rows = preview("--tokenizer", "tiny:roberta")
    assert rows[0]["text_a"] == "board</s>Room and board ."
    assert rows == preview()  # the default is roberta-large's separator: the same inputs
    assert preview("--tokenizer", "tiny:bert")[0]["text_a"] == "board[SEP]Room and board ."


def test_tiny_roberta_fine_tunes_multiple_choice(shared_data, one_torch_thread):
    from stilts_nb.training import TrainConfig, train

    m = train(TrainConfig(task="winogrande_xs", model="tiny:roberta", lr=1e-3, batch_size=8,
                          epochs=1, train_limit=16, eval_limit=16, data_dir=str(shared_data),
                          progress=False))
    assert m.diverged is False and m.eval_examples == 16 and 0 <= m.score <= 1
    assert m.transferred == ["roberta"] and m.new == ["classifier"]


def test_gpt2_conventions(one_torch_thread):
    model, tok = load_causal_lm("tiny:gpt2")
    assert model.config.model_type == "gpt2"
    # GPT-2 has one special token: it begins, ends and (lacking a pad token) pads
    assert tok.eos_token == tok.pad_token == "<|endoftext|>" and tok.all_special_ids == [tok.eos_token_id]
    gen = Generator(model, tok, "tiny:gpt2", Sampling(temperature=0.1))
    prompts = [gen.encode("The river flows"), gen.encode("In the year of the long winter, the town")]
    assert len(prompts[0]) < len(prompts[1])  # left padding is exercised
    out = gen.sample_tokens(prompts, caps=[5, 3], n=3, seed=7)
    assert [len(row) for row in out] == [3, 3]
    assert all(len(t) <= cap for row, cap in zip(out, [5, 3]) for t in row)
    assert all(tok.eos_token_id not in t for row in out for t in row)  # the stop token is cut
    # left padding must not change what a prompt generates: alone it samples the same tokens
    alone = gen.sample_tokens(prompts[:1], caps=[5], n=3, seed=7)
    assert alone[0] == gen.sample_tokens(prompts[:1], caps=[5], n=3, seed=7)[0]
    logits_pad = _last_logits(gen, prompts)[0]
    logits_alone = _last_logits(gen, prompts[:1])[0]
    assert torch.allclose(logits_pad, logits_alone, atol=1e-4)


def _last_logits(gen, prompts):
    pad = gen.tok.pad_token_id
    width = max(len(p) for p in prompts)
    ids = torch.tensor([[pad] * (width - len(p)) + p for p in prompts])
    mask = torch.tensor([[0] * (width - len(p)) + [1] * len(p) for p in prompts])
    pos = (mask.cumsum(-1) - 1).clamp(min=0)
    with torch.no_grad():
        return gen.model(input_ids=ids, attention_mask=mask, position_ids=pos).logits[:, -1]


def test_gpt2_builds_synthesis_fakes(tmp_path, one_torch_thread):
    words = "the river flows past the old mill where children play in summer and the farmers bring grain".split()
    lines = [". ".join(" ".join(words[(i + k) % len(words)] for k in range(24)) + f" n{i}{j}"
                       for j in range(2)) for i in range(12)]
    corpus = tmp_path / "wiki.txt"
    corpus.write_text("\n".join(lines) + "\n", encoding="utf-8")
    out = tmp_path / "s.jsonl"
    build(SynthesisConfig(corpus=str(corpus), generator="tiny:gpt2", n=8, dev=2, batch_size=4,
                          sampling=Sampling(temperature=0.1)), out, progress=False)
    rows = [json.loads(line) for line in out.read_text().splitlines()]
    assert len(rows) == 8
    for row in rows:
        assert len(row["endings"]) == 4 and len(set(row["endings"])) == 4
        assert all(e.strip() and "<|endoftext|>" not in e for e in row["endings"])


def test_bert_and_causal_lm_have_their_own_tokenizers_and_need_no_asset_package(monkeypatch):
    """A clone without the model-asset packages runs the smoke profile: tiny:bert has BERT's
    conventions and tiny:causal-lm SmolLM2's, and neither asks for a pkg: model."""
    def refused(name):
        raise AssertionError(f"{name} was asked for")

    monkeypatch.setattr("stilts_nb.assets._package_model", refused)
    bert = load_tokenizer("tiny:bert")
    cls, sep = bert.convert_tokens_to_ids(["[CLS]", "[SEP]"])
    a = bert("He ran the bank.", add_special_tokens=False)["input_ids"]
    b = bert("She sat on the bank.", add_special_tokens=False)["input_ids"]
    pair = bert("He ran the BANK.", "She sat on the bank.")  # lower-cased, as bert-base-uncased
    assert pair["input_ids"] == [cls, *a, sep, *b, sep]
    assert pair["token_type_ids"] == [0] * (len(a) + 2) + [1] * (len(b) + 1)
    assert (len(bert), bert.pad_token_id) == (2000, 0)

    lm, tok = load_causal_lm("tiny:causal-lm")
    assert lm.config.model_type == "llama" and lm.config.vocab_size == len(tok) == 2000
    assert tok.bos_token == tok.eos_token == "<|endoftext|>" == tok.convert_ids_to_tokens(0)
    chat = tok("<|im_start|>user")["input_ids"]  # a chat token stays one token, as in SmolLM2's
    assert chat[0] == tok.convert_tokens_to_ids("<|im_start|>") and len(chat) > 1
    text = "naïve café — 3.5 µm"                  # byte-level: any text round-trips
    assert tok.decode(tok(text)["input_ids"]) == text
