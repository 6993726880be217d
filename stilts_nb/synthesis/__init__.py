"""Synthesis_GPT2: real Wikipedia sentence halves vs three fake endings sampled from a causal LM.

``build(SynthesisConfig(...), "out.jsonl")`` writes out.jsonl (train), out.dev.jsonl and the
sidecar out.meta.json; ``stilts-nb synthesize`` is the same from the command line.
See docs/synthesis.md for the construction and where it departs from the authors' script.
"""
from .build import SynthesisConfig, build
from .corpus import SentenceRule, sentence_pool
from .generate import Generator, Sampling, load_causal_lm

__all__ = ["SynthesisConfig", "build", "SentenceRule", "sentence_pool", "Generator", "Sampling",
           "load_causal_lm"]
