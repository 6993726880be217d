"""Tiny models: random encoders and causal LMs of real architectures, with real tokenizers.

The paper fine-tunes RoBERTa-large and samples fakes from GPT2-medium. Neither is shipped here,
yet their conventions are what the paper profile depends on: RoBERTa's ``<s> A </s></s> B </s>``
pair template and ``</s>`` as the separator inside WiC and SocialIQA inputs; GPT-2's single
``<|endoftext|>`` token (beginning, end and, lacking a pad token, padding) and left-padded
batched sampling. The tiny models keep those conventions and swap only the scale:

- tiny:roberta, tiny:gpt2: the paper's two families;
- tiny:bert: BERT's kind (lower-cased WordPiece, ``[CLS] A [SEP] B [SEP]``, token types), the
  kind of the demo's all-MiniLM-L6-v2; the smoke profile's encoder;
- tiny:causal-lm: SmolLM2's kind (the Llama architecture, byte-level BPE with
  ``<|endoftext|>`` first and its two chat tokens), the kind of the demo's generator;
- today's encoder families (families.py).

Each has its own tokenizer of its family's algorithm, 2000 entries built from gensim's
Wikipedia sample, the same in every process (families.py says how), built once and cached under
``$STILTS_CACHE/tiny-models/``; so a clone without the model-asset packages runs them all. The
model is randomly initialised, a few tens of thousands of parameters, fixed by seed 0.
"""
from __future__ import annotations

import json
import os
import shutil
import tempfile
from pathlib import Path

from .families import FAMILIES

VOCAB_SIZE = 2000
VERSION = 3  # bump when the recipe changes: the cache folder name and run identities carry it
# special tokens first, in the ids the family gives them (RoBERTa: <s> 0, <pad> 1, </s> 2, <unk> 3)
SPECIAL = {"tiny:bert": ("[PAD]", "[UNK]", "[CLS]", "[SEP]", "[MASK]"),
           "tiny:roberta": ("<s>", "<pad>", "</s>", "<unk>", "<mask>"),
           "tiny:gpt2": ("<|endoftext|>",),
           "tiny:causal-lm": ("<|endoftext|>", "<|im_start|>", "<|im_end|>")}
TINY_MODELS = (*SPECIAL, *FAMILIES)  # FAMILIES: today's encoder families (families.py)
CAUSAL_LMS = ("tiny:gpt2", "tiny:causal-lm")


def tokenizer_folder(name: str, cache: Path) -> Path:
    """The tokenizer folder of a tiny model under the cache folder, trained on first use.
    (A leaf module: the caller, assets.py, says where the cache is.)"""
    folder = Path(cache) / "tiny-models" / f"{name.split(':')[1]}-v{VERSION}"
    if (folder / "tokenizer_config.json").exists():
        return folder
    tmp = Path(tempfile.mkdtemp(prefix=".build-", dir=_made(folder.parent)))
    _build_tokenizer(name).save_pretrained(tmp)
    try:
        os.replace(tmp, folder)  # atomic: a parallel worker sees a whole folder or none
    except OSError:              # another process finished first; theirs is identical
        shutil.rmtree(tmp, ignore_errors=True)
    return folder


def _made(path: Path) -> Path:
    path.mkdir(parents=True, exist_ok=True)
    return path


def _build_tokenizer(name: str):
    if name in FAMILIES:
        from .families import build_tokenizer

        return build_tokenizer(name, _wikipedia_sample)
    from tokenizers import ByteLevelBPETokenizer
    from transformers import BertTokenizer, GPT2Tokenizer, RobertaTokenizer

    if name == "tiny:bert":
        from .families import wordpiece_tokenizer

        return wordpiece_tokenizer(BertTokenizer, _wikipedia_sample, SPECIAL[name])
    bpe = ByteLevelBPETokenizer()
    bpe.train_from_iterator(_wikipedia_sample(), vocab_size=VOCAB_SIZE, min_frequency=2,
                            special_tokens=list(SPECIAL[name]), show_progress=False)
    model = json.loads(bpe.to_str())["model"]
    merges = [tuple(m.split(" ")) if isinstance(m, str) else tuple(m) for m in model["merges"]]
    if name == "tiny:roberta":
        # RobertaTokenizer adds the <s> A </s></s> B </s> template itself
        return RobertaTokenizer(vocab=model["vocab"], merges=merges, model_max_length=512)
    # GPT-2 and SmolLM2 alike: <|endoftext|> begins, ends and stands for unknown bytes; SmolLM2's
    # chat tokens stay whole (never split into bytes) as in its real tokenizer
    return GPT2Tokenizer(vocab=model["vocab"], merges=merges, model_max_length=1024,
                         extra_special_tokens=list(SPECIAL[name][1:]))


def _wikipedia_sample():
    """The article text of gensim's Wikipedia sample (wiki markup filtered by gensim)."""
    import bz2

    from gensim.corpora.wikicorpus import extract_pages, filter_wiki
    from gensim.test.utils import datapath

    dump = "enwiki-latest-pages-articles1.xml-p000000010p000030302-shortened.bz2"
    with bz2.open(datapath(dump), "rb") as f:
        for _title, text, _pageid in extract_pages(f, filter_namespaces=("0",)):
            yield from (line for line in filter_wiki(text).split("\n") if line.strip())


def config(name: str, tokenizer):
    """The tiny architecture of a tiny model, with the token ids of its tokenizer."""
    from transformers import BertConfig, GPT2Config, LlamaConfig, RobertaConfig

    if name in FAMILIES:
        from .families import config as family_config

        return family_config(name, tokenizer)
    size = dict(hidden_size=32, num_hidden_layers=2, num_attention_heads=2, intermediate_size=64)
    ends = dict(bos_token_id=tokenizer.bos_token_id, eos_token_id=tokenizer.eos_token_id)
    if name == "tiny:bert":
        return BertConfig(**size, vocab_size=len(tokenizer), max_position_embeddings=512,
                          pad_token_id=tokenizer.pad_token_id)
    if name == "tiny:roberta":
        # RoBERTa numbers positions from pad_token_id + 1: two more position slots than tokens
        return RobertaConfig(**size, **ends, vocab_size=len(tokenizer),
                             max_position_embeddings=tokenizer.model_max_length + 2,
                             pad_token_id=tokenizer.pad_token_id)
    if name == "tiny:causal-lm":
        # SmolLM2-135M's shape of attention (grouped-query with 3:1 there; 1:1 at this size)
        return LlamaConfig(**size, **ends, vocab_size=len(tokenizer), num_key_value_heads=2,
                           max_position_embeddings=tokenizer.model_max_length)
    return GPT2Config(vocab_size=len(tokenizer), n_embd=32, n_layer=2, n_head=2, n_inner=64,
                      n_positions=tokenizer.model_max_length, **ends)
