"""Examples in memory, the seeded order of each epoch, and padding of a batch.

Order. Each epoch is a list of *effective* batches (one per optimizer update) drawn from one
torch.Generator seeded with the run's seed, so the seed fixes the data order (as the authors'
RandomSampler under set_seed did). With ``batching="length"`` the order comes from transformers'
``get_length_grouped_indices`` (random mega-batches of MEGA_BATCHES batches, sorted by length
inside), cut into effective
batches whose order is then shuffled with the same generator: a batch holds examples of similar
length, so little compute goes to padding, and batches still arrive in random order rather than
long-to-short within each mega-batch.

Sharding. Every process builds the same global plan and takes a contiguous slice of each
effective batch, cut into the same number of micro-batches on every process (a slice that is
empty gets a zero-weight placeholder, so collective operations stay in step). The loss weights in
loop.py make one update equal, whatever the number of processes and micro-batches, to one
plain step on the whole effective batch.
"""
from __future__ import annotations

import math
from dataclasses import dataclass, field

import torch
from transformers import DataCollatorForMultipleChoice, DataCollatorWithPadding
from transformers.trainer_pt_utils import get_length_grouped_indices

MODEL_COLUMNS = ("input_ids", "attention_mask", "token_type_ids", "labels")
# Length grouping sorts random mega-batches of this many batches. transformers' own default
# (n / 4 batches, at most 50) leaves small sets ungrouped (96 WiC examples: no gain at all);
# 50 keeps ~92% of RTE tokens real instead of 50% with random batches. Composition stays random
# across mega-batches, and the batch order is shuffled afterwards.
MEGA_BATCHES = 50


@dataclass
class Examples:
    """One tokenized split as python rows, plus per-row lengths computed once."""

    rows: list            # dicts of model columns, unpadded (as the collators want them)
    lengths: list         # longest sequence of the row: what padding is decided by
    tokens: list          # non-padding tokens of the row (all choices for multiple choice)
    labels: list
    fingerprint: str = ""  # content fingerprint of the source data (part of a run's identity)
    ids: list = field(default_factory=list)  # the task's own example ids, where known (data.split)

    def __len__(self) -> int:
        return len(self.rows)


def to_examples(dataset, limit: int | None = None) -> Examples:
    if limit is not None and limit < len(dataset):
        dataset = dataset.select(range(limit))
    cols = [c for c in MODEL_COLUMNS if c in dataset.column_names]
    data = dataset.select_columns(cols).to_dict()  # one columnar read; rows are then free
    n = len(data["labels"])
    rows = [{c: data[c][i] for c in cols} for i in range(n)]
    ids = data["input_ids"]
    nested = n > 0 and isinstance(ids[0][0], list)  # multiple choice: one list per choice
    if nested:
        lengths = [max(len(s) for s in choices) for choices in ids]
        tokens = [sum(len(s) for s in choices) for choices in ids]
    else:
        lengths = [len(s) for s in ids]
        tokens = lengths
    return Examples(rows, lengths, tokens, list(data["labels"]))


def make_collator(tokenizer, kind: str, pad_to_multiple_of: int | None):
    """transformers' dynamic-padding collators; padding to a multiple of 8 suits tensor cores
    and CPU matmul kernels alike, and bounds the number of distinct shapes."""
    cls = DataCollatorForMultipleChoice if kind == "multiple_choice" else DataCollatorWithPadding
    return cls(tokenizer=tokenizer, padding=True, pad_to_multiple_of=pad_to_multiple_of,
               return_tensors="pt")


def epoch_batches(lengths: list, batch_size: int, generator: torch.Generator,
                  batching: str) -> list[list[int]]:
    """The effective batches of one epoch (the last may be smaller, as the authors' loader)."""
    n = len(lengths)
    if batching == "length":
        order = get_length_grouped_indices(lengths, batch_size, mega_batch_mult=MEGA_BATCHES,
                                           generator=generator)
        batches = [order[i:i + batch_size] for i in range(0, n, batch_size)]
        perm = torch.randperm(len(batches), generator=generator).tolist()
        return [batches[i] for i in perm]
    order = torch.randperm(n, generator=generator).tolist()
    return [order[i:i + batch_size] for i in range(0, n, batch_size)]


def shard(batch: list[int], rank: int, world: int, max_device_batch: int) -> list[list[int]]:
    """This process's micro-batches of one effective batch; the count is equal on all ranks.

    An empty micro-batch (more processes than examples) is returned as [] and the caller runs a
    zero-weight placeholder, so every rank does the same number of forward/backward passes.
    """
    per_rank = math.ceil(len(batch) / world)
    mine = batch[rank * per_rank:(rank + 1) * per_rank]
    count = max(1, math.ceil(per_rank / max_device_batch))
    # equal-sized pieces rather than (cap, cap, remainder): same memory bound, less padding skew
    size, extra = divmod(len(mine), count)
    pieces, start = [], 0
    for i in range(count):
        end = start + size + (1 if i < extra else 0)
        pieces.append(mine[start:end])
        start = end
    return pieces


def updates_per_epoch(n: int, batch_size: int) -> int:
    return math.ceil(n / batch_size)


def eval_batches(lengths: list, batch_size: int, rank: int, world: int) -> list[list[int]]:
    """Dev batches sorted by length (the order cannot change a score, only the padding)."""
    order = sorted(range(len(lengths)), key=lambda i: lengths[i])[rank::world]
    return [order[i:i + batch_size] for i in range(0, len(order), batch_size)]
