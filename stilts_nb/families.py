"""Tiny models of the encoder families researchers fine-tune today, beside tiny:roberta.

Each family differs from RoBERTa where the engine makes assumptions, and its tiny model keeps
those differences while shrinking the scale (hidden 32, 2 layers, random weights, seed 0):

- the tokenizer algorithm and its special tokens, built with the family's own transformers
  tokenizer class over a vocabulary built here from gensim's Wikipedia sample, the same in
  every process: SentencePiece-style Unigram (DeBERTa-v3, XLM-R, ALBERT), WordPiece (ELECTRA,
  DistilBERT), byte-level BPE with BERT's [CLS]/[SEP] template (ModernBERT);
- token types: DeBERTa-v3 has a type vocabulary of 0, XLM-R of 1, DistilBERT and ModernBERT
  take no ``token_type_ids`` at all;
- poolers and heads: ELECTRA has no pooler (a summary layer in its multiple-choice head), DeBERTa
  a context pooler outside its encoder prefix, ALBERT and ELECTRA a factorised embedding;
- attention kernels: DeBERTa's disentangled attention has no sdpa path in transformers.

A leaf module: tiny_models.py, which imports it, gives the training text and caches the result.
"""
from __future__ import annotations

import functools
import itertools
import math
from collections import Counter
from dataclasses import dataclass

VOCAB_SIZE = 2000
# the first lines are plenty for a 2000-entry vocabulary of a random model (and BPE training
# over them takes a second)
TRAIN_LINES = 800


@dataclass(frozen=True)
class Family:
    model_type: str        # transformers' config model_type
    tokenizer: str         # "unigram" | "wordpiece" | "bpe"
    special: tuple         # special tokens in the family's own id order
    hub: tuple             # the hub ids a researcher would fine-tune
    lr: str                # learning rates the family's authors used on GLUE/SuperGLUE-sized tasks


FAMILIES = {
    "tiny:deberta-v3": Family("deberta-v2", "unigram", ("[PAD]", "[CLS]", "[SEP]", "[UNK]", "[MASK]"),
                              ("microsoft/deberta-v3-large", "microsoft/deberta-v3-base"),
                              "5e-6 to 1e-5 for large (He et al. 2021)"),
    "tiny:electra": Family("electra", "wordpiece", ("[PAD]", "[UNK]", "[CLS]", "[SEP]", "[MASK]"),
                           ("google/electra-large-discriminator", "google/electra-base-discriminator"),
                           "5e-5 large, 1e-4 base, with layer-wise decay 0.9 / 0.8 (Clark et al. 2020)"),
    "tiny:modernbert": Family("modernbert", "bpe", ("[UNK]", "[CLS]", "[SEP]", "[PAD]", "[MASK]"),
                              ("answerdotai/ModernBERT-large", "answerdotai/ModernBERT-base"),
                              "swept per GLUE task (Warner et al. 2024): check the model card"),
    "tiny:xlm-roberta": Family("xlm-roberta", "unigram", ("<s>", "<pad>", "</s>", "<unk>", "<mask>"),
                               ("FacebookAI/xlm-roberta-large", "FacebookAI/xlm-roberta-base"),
                               "RoBERTa-large's range, 1e-5 to 3e-5 (not from the XLM-R paper)"),
    "tiny:albert": Family("albert", "unigram", ("<pad>", "<unk>", "[CLS]", "[SEP]", "[MASK]"),
                          ("albert/albert-xxlarge-v2", "albert/albert-large-v2"),
                          "1e-5 to 5e-5 per task, RTE 3e-5 (Lan et al. 2020)"),
    "tiny:distilbert": Family("distilbert", "wordpiece", ("[PAD]", "[UNK]", "[CLS]", "[SEP]", "[MASK]"),
                              ("distilbert/distilbert-base-uncased",),
                              "5e-5 (transformers' run_glue default)"),
}
TINY = tuple(FAMILIES)


def build_tokenizer(name: str, corpus):
    """The family's own transformers tokenizer class over a vocabulary built here from the lines
    `corpus()` yields (tiny_models.py passes its Wikipedia sample: this module imports none)."""
    import transformers

    fam = FAMILIES[name]
    if fam.tokenizer == "unigram":
        # specials first at the family's ids; the mask last where the family puts it last
        head = [t for t in fam.special if t not in ("[MASK]", "<mask>") or name == "tiny:albert"]
        tail = [t for t in fam.special if t not in head]
        vocab = [(t, 0.0) for t in head] + _unigram_pieces(corpus, VOCAB_SIZE - len(fam.special)) + \
                [(t, 0.0) for t in tail]
        if name == "tiny:deberta-v3":
            return transformers.DebertaV2Tokenizer(vocab=vocab, unk_id=fam.special.index("[UNK]"),
                                                   model_max_length=512)
        if name == "tiny:xlm-roberta":
            return transformers.XLMRobertaTokenizer(vocab=vocab, model_max_length=512)
        return transformers.AlbertTokenizer(vocab=vocab, model_max_length=512)
    if fam.tokenizer == "wordpiece":
        cls = transformers.ElectraTokenizer if name == "tiny:electra" else transformers.DistilBertTokenizer
        return wordpiece_tokenizer(cls, corpus, fam.special)
    return _modernbert_tokenizer(corpus, fam.special)


def wordpiece_tokenizer(cls, corpus, special: tuple):
    """A BERT-kind tokenizer class (BERT, ELECTRA, DistilBERT) over a WordPiece vocabulary built
    here (_wordpiece_vocab), with `special` at ids 0, 1, 2, ... in that order."""
    words = [w for w in _wordpiece_vocab(corpus) if w not in special]
    vocab = {t: i for i, t in enumerate([*special, *words][:VOCAB_SIZE])}
    return cls(vocab=vocab, model_max_length=512)


@functools.lru_cache(maxsize=1)
def _lines(corpus) -> tuple:
    return tuple(itertools.islice(corpus(), TRAIN_LINES))


# The vocabularies below are chosen from word counts, not by the `tokenizers` trainers: those
# break ties between equally frequent pieces in a per-process hash order, so the same recipe gave
# a different vocabulary (and tiny model) in every process. The tokenizers themselves are the
# family's own classes; only which 2000 entries they hold is decided here.

def _words(corpus, normalizer, pre_tokenizer) -> Counter:
    """How often each word of the first TRAIN_LINES lines occurs, as the family's tokenizer
    normalizes and splits text."""
    return Counter(w for line in _lines(corpus)
                   for w, _ in pre_tokenizer.pre_tokenize_str(normalizer.normalize_str(line)))


def _ranked(counts: Counter) -> list:
    return sorted(counts, key=lambda w: (-counts[w], w))  # most frequent first, ties alphabetical


@functools.lru_cache(maxsize=2)
def _unigram_pieces(corpus, size: int) -> list:
    """(piece, log-probability) pairs with SentencePiece's ``▁`` word marker: every character
    (so any text has a segmentation), then whole words by frequency, each scored by its share of
    the counts (a unigram model's parameters)."""
    from tokenizers import normalizers, pre_tokenizers

    words = _words(corpus, normalizers.NFKC(), pre_tokenizers.Metaspace())
    chars = Counter()
    for word, n in words.items():
        for c in word:
            chars[c] += n
    pieces = _ranked(chars) + [w for w in _ranked(words) if w not in chars]
    total = sum(words.values()) + sum(chars.values())
    return [(p, math.log((words[p] + chars[p]) / total)) for p in pieces[:size]]


@functools.lru_cache(maxsize=1)
def _wordpiece_vocab(corpus) -> list:
    """WordPiece entries (lower-cased, ``##`` continuations) in id order: every character, alone
    and as a continuation (so any word has a segmentation), then whole words by frequency."""
    from tokenizers import normalizers, pre_tokenizers

    words = _words(corpus, normalizers.BertNormalizer(lowercase=True), pre_tokenizers.BertPreTokenizer())
    chars = sorted({c for w in words for c in w})
    return [*chars, *(f"##{c}" for c in chars), *(w for w in _ranked(words) if len(w) > 1)]


def _modernbert_tokenizer(corpus, special: tuple):
    """ModernBERT's kind: byte-level BPE (OLMo's) under BERT's [CLS] A [SEP] B [SEP] template,
    no token types. transformers has no ModernBERT tokenizer class: the hub's is the generic
    fast tokenizer, as here."""
    from tokenizers import ByteLevelBPETokenizer, processors
    from transformers import PreTrainedTokenizerFast

    bpe = ByteLevelBPETokenizer()
    bpe.train_from_iterator(_lines(corpus), vocab_size=VOCAB_SIZE, min_frequency=2,
                            special_tokens=list(special), show_progress=False)
    tok = bpe._tokenizer
    cls, sep = tok.token_to_id("[CLS]"), tok.token_to_id("[SEP]")
    tok.post_processor = processors.TemplateProcessing(
        single="[CLS] $A [SEP]", pair="[CLS] $A [SEP] $B [SEP]",
        special_tokens=[("[CLS]", cls), ("[SEP]", sep)])
    return PreTrainedTokenizerFast(tokenizer_object=tok, unk_token="[UNK]", cls_token="[CLS]",
                                   sep_token="[SEP]", pad_token="[PAD]", mask_token="[MASK]",
                                   model_max_length=512,
                                   model_input_names=["input_ids", "attention_mask"])


def config(name: str, tokenizer):
    """The tiny architecture of a family's tiny model, with its tokenizer's special ids."""
    import transformers

    size = dict(hidden_size=32, num_hidden_layers=2, num_attention_heads=2, intermediate_size=64)
    ids = dict(vocab_size=len(tokenizer), pad_token_id=tokenizer.pad_token_id)
    if name == "tiny:deberta-v3":
        # deberta-v3-large's attention settings: relative positions only, shared keys, log buckets,
        # and no token types (type_vocab_size 0: the tokenizer's token_type_ids are ignored)
        return transformers.DebertaV2Config(**size, **ids, max_position_embeddings=512,
                                            relative_attention=True, position_buckets=256,
                                            norm_rel_ebd="layer_norm", share_att_key=True,
                                            pos_att_type=["p2c", "c2p"], position_biased_input=False,
                                            type_vocab_size=0, max_relative_positions=-1)
    if name == "tiny:electra":
        return transformers.ElectraConfig(**size, **ids, embedding_size=16, max_position_embeddings=512)
    if name == "tiny:modernbert":
        return transformers.ModernBertConfig(**size, **ids, max_position_embeddings=512,
                                             cls_token_id=tokenizer.cls_token_id,
                                             sep_token_id=tokenizer.sep_token_id,
                                             bos_token_id=tokenizer.cls_token_id,
                                             eos_token_id=tokenizer.sep_token_id,
                                             global_attn_every_n_layers=2, local_attention=16)
    if name == "tiny:xlm-roberta":
        # RoBERTa's position numbering (from pad_token_id + 1) and one token type
        return transformers.XLMRobertaConfig(**size, **ids, max_position_embeddings=514, type_vocab_size=1,
                                             bos_token_id=tokenizer.bos_token_id,
                                             eos_token_id=tokenizer.eos_token_id)
    if name == "tiny:albert":
        return transformers.AlbertConfig(**size, **ids, embedding_size=16, max_position_embeddings=512,
                                         bos_token_id=tokenizer.cls_token_id,
                                         eos_token_id=tokenizer.sep_token_id)
    return transformers.DistilBertConfig(**ids, dim=32, n_layers=2, n_heads=2, hidden_dim=64,
                                         max_position_embeddings=512)
