"""Batched nucleus sampling of fake endings from any causal LM.

The authors called ``generate`` once per premise with ``num_return_sequences=3``. Here many
premises share one decoding loop: prompts are left-padded (a causal LM continues from the last
position, so the padding has to sit on the left), each prompt is encoded once and its KV cache
shared by its n samples, and each row stops at its own cap (the true ending's token length) or
at a stop token, leaving the batch so it costs nothing more.
"""
from __future__ import annotations

import hashlib
import inspect
from dataclasses import dataclass

import torch

from ..assets import TINY_MODELS, load_tokenizer, loading_quietly, resolve_model
from ..errors import UserError
from ..tiny_models import CAUSAL_LMS, config as tiny_config

# what "an unreadable generator" raises inside from_pretrained: a missing folder, a broken
# config, a truncated weight file, a GGUF that transformers cannot map
_LOAD_ERRORS = (OSError, ValueError, KeyError, TypeError, RuntimeError, EOFError)


@dataclass(frozen=True)
class Sampling:
    """The authors' decoding settings (their script; the paper names only top-p = 0.9)."""

    top_p: float = 0.9
    top_k: int = 0            # 0 = no top-k truncation
    temperature: float = 1.0


def resolve_dtype(dtype: str) -> torch.dtype:
    """``auto`` picks bf16 only where the CPU multiplies bf16 natively.

    Without native support (AVX2-only CPUs, like the 2-core dev machines) PyTorch emulates bf16
    matmuls and they run ~100x slower than fp32, so auto falls back to fp32 there.
    """
    if dtype == "auto":
        if torch.cuda.is_available() or torch.ops.mkldnn._is_mkldnn_bf16_supported():
            return torch.bfloat16
        return torch.float32
    table = {"float32": torch.float32, "fp32": torch.float32,
             "bfloat16": torch.bfloat16, "bf16": torch.bfloat16}
    if dtype not in table:
        raise UserError(f"--dtype {dtype!r}: expected auto, float32 or bfloat16")
    return table[dtype]


def load_causal_lm(name: str, dtype: torch.dtype = torch.float32):
    """(model, tokenizer) for a generator name; any loading failure becomes a UserError."""
    from transformers import AutoModelForCausalLM

    tok = load_tokenizer(name)
    if name in TINY_MODELS:
        if name not in CAUSAL_LMS:
            raise UserError(f"generator {name!r} is not a causal LM; use {' or '.join(CAUSAL_LMS)}")
        config = tiny_config(name, tok)
        # fixed init seed: the same random model in every process, so resume tests can reload it
        with torch.random.fork_rng():
            torch.manual_seed(0)
            model = AutoModelForCausalLM.from_config(config)
    else:
        src = resolve_model(name)
        try:
            with loading_quietly():
                model = AutoModelForCausalLM.from_pretrained(src.path, **src.kwargs())
        except _LOAD_ERRORS as err:
            first = str(err).strip().splitlines()[0] if str(err).strip() else type(err).__name__
            raise UserError(f"--generator {name!r}: cannot load a causal LM: {first}") from None
    if tok.eos_token is None and tok.sep_token is not None:
        tok.eos_token = tok.sep_token  # BERT-style tokenizers (the tiny model) end with [SEP]
    if tok.pad_token is None:
        tok.pad_token = tok.eos_token
    return model.to(dtype).eval(), tok


def batch_seed(seed: int, indices, attempt: int = 0) -> int:
    """Seed of one generate() call, a pure function of the run seed and the examples in it.

    Resuming at a batch boundary therefore replays exactly the same random stream.
    """
    key = f"{seed}:{attempt}:{','.join(str(i) for i in indices)}".encode()
    return int.from_bytes(hashlib.sha256(key).digest()[:8], "big") & (2**63 - 1)


class Generator:
    """Samples ``n`` continuations per prompt, each cut to its own token cap."""

    CANDIDATES = (256, 4096)  # heads of the distribution searched for the top-p nucleus

    def __init__(self, model, tokenizer, name: str, sampling: Sampling = Sampling()):
        self.model, self.tok, self.name, self.sampling = model, tokenizer, name, sampling
        # any special token ends a continuation: instruct models emit <|im_end|> as well as
        # <|endoftext|>, and the text after either is not part of the ending
        self.stop_ids = sorted(set(tokenizer.all_special_ids) - {tokenizer.pad_token_id}
                               | {tokenizer.eos_token_id})

    # the tokenizer round trip: real and fake text then share the tokenizer's artifacts
    def encode(self, text: str) -> list[int]:
        return self.tok.encode(text, add_special_tokens=False)

    def roundtrip(self, text: str) -> str:
        return " ".join(self.tok.decode(self.encode(text), skip_special_tokens=True).split())

    def ending_cap(self, ending: str) -> int:
        """The longest a fake may be: the true ending's length in tokens, encoded on its own
        (no leading space), as the authors' script counts it. With a byte-level BPE the count
        can differ from the ending as it follows the premise ("xylophone quartets": 5 tokens
        alone, 4 after a space, for SmolLM2); we follow the authors."""
        return max(1, len(self.encode(ending)))

    def sample(self, prompts: list[list[int]], caps: list[int], n: int, seed: int) -> list[list[str]]:
        """``n`` continuations (text) of each prompt, the i-th cut at ``caps[i]`` tokens."""
        return [[" ".join(self.tok.decode(t, skip_special_tokens=True).split()) for t in row]
                for row in self.sample_tokens(prompts, caps, n, seed)]

    @torch.inference_mode()
    def sample_tokens(self, prompts: list[list[int]], caps: list[int], n: int, seed: int):
        """``n`` continuations (token ids) of each prompt, the i-th cut at ``caps[i]`` tokens.

        Our own decoding loop instead of ``generate``, for speed on CPU: the prompt is encoded
        once and its KV cache copied ``n`` times (``generate`` with num_return_sequences runs the
        prefill n times), and a row leaves the batch as soon as it hits its cap or a stop token.
        The sampling rule is the one ``generate`` applies (temperature, then top-k, then top-p,
        then a multinomial draw), with a private torch.Generator seeded by ``seed``.
        """
        pad = self.tok.pad_token_id
        width = max(len(p) for p in prompts)
        ids = torch.tensor([[pad] * (width - len(p)) + p for p in prompts])
        mask = torch.tensor([[0] * (width - len(p)) + [1] * len(p) for p in prompts])
        # left padding shifts the text right: positions must count real tokens only
        pos = (mask.cumsum(-1) - 1).clamp(min=0)
        out = self.model(input_ids=ids, attention_mask=mask, position_ids=pos, use_cache=True,
                         **self._last_only)
        cache = out.cache if hasattr(out, "cache") else out.past_key_values
        cache.batch_repeat_interleave(n)
        logits = out.logits[:, -1].float().repeat_interleave(n, 0)
        mask = mask.repeat_interleave(n, 0)
        pos = pos[:, -1:].repeat_interleave(n, 0)
        row_caps = torch.tensor(caps).repeat_interleave(n)
        rows = torch.arange(len(prompts) * n)  # which output row each batch row is
        stop = torch.tensor(self.stop_ids)
        gen = torch.Generator().manual_seed(seed)
        new: list[list[int]] = [[] for _ in range(len(rows))]
        for step in range(max(caps)):
            token = self._draw(logits, gen)
            finished = torch.isin(token, stop) | (row_caps[rows] <= step + 1)
            for r, t, f in zip(rows.tolist(), token.tolist(), finished.tolist()):
                if not (f and t in self.stop_ids):
                    new[r].append(t)
            if bool(finished.all()):
                break
            if bool(finished.any()):  # drop finished rows: no compute is spent on them
                keep = torch.nonzero(~finished).squeeze(1)
                cache.batch_select_indices(keep)
                rows, token, mask, pos = rows[keep], token[keep], mask[keep], pos[keep]
            mask = torch.cat([mask, torch.ones(len(rows), 1, dtype=mask.dtype)], dim=1)
            pos = pos + 1
            out = self.model(input_ids=token[:, None], attention_mask=mask, position_ids=pos,
                             use_cache=True, **{self._cache_arg: cache})
            logits = out.logits[:, -1].float()
        return [new[i * n:(i + 1) * n] for i in range(len(prompts))]

    @property
    def _last_only(self) -> dict:
        # the prefill needs logits at the last position only; the vocabulary projection of
        # every prompt position would cost as much as a fifth of the model
        params = inspect.signature(self.model.forward).parameters
        return {"logits_to_keep": 1} if "logits_to_keep" in params else {}

    @property
    def _cache_arg(self) -> str:
        # transformers 5 renamed past_key_values to cache (the old name warns)
        params = inspect.signature(self.model.forward).parameters
        return "cache" if "cache" in params else "past_key_values"

    def _draw(self, logits: torch.Tensor, gen: torch.Generator) -> torch.Tensor:
        """One token per row: temperature, then top-k, then top-p, then a multinomial draw."""
        s = self.sampling
        if s.temperature != 1.0:
            logits = logits / s.temperature
        if s.top_k:
            kth = torch.topk(logits, min(s.top_k, logits.shape[-1])).values[:, -1:]
            logits = logits.masked_fill(logits < kth, -float("inf"))
        probs = logits.softmax(-1)
        if s.top_p >= 1.0:
            return torch.multinomial(probs, 1, generator=gen).squeeze(1)
        # transformers' TopPLogitsWarper sorts the whole vocabulary every step, which on CPU
        # costs as much as the model itself at batch 100. The same rule -- drop a token when the
        # tokens more likely than it already hold >= top_p of the mass -- only needs the head of
        # the distribution: a row whose top-k tokens hold >= top_p is decided among them. Rows
        # are tried with k = 256, then 4096, and only the flattest rows pay for a full sort.
        out = torch.empty(len(probs), dtype=torch.long)
        todo = torch.arange(len(probs))
        for k in (*self.CANDIDATES, probs.shape[-1]):
            k = min(k, probs.shape[-1])
            vals, ids = probs[todo].topk(k, dim=-1)  # sorted, most likely first
            rows = vals.sum(-1) >= s.top_p if k < probs.shape[-1] else torch.ones(len(todo), dtype=torch.bool)
            if rows.any():
                vals, ids = vals[rows], ids[rows]
                above = vals.cumsum(-1) - vals  # mass of the tokens ranked above each one
                pick = torch.multinomial(vals.masked_fill(above >= s.top_p, 0.0), 1, generator=gen)
                out[todo[rows]] = ids.gather(1, pick).squeeze(1)
            todo = todo[~rows]
            if not len(todo):
                break
        return out
