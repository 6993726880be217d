"""The word embedding's gradient kept between updates on CPU: the same numbers, less zero-filling.

Why: an embedding's dense backward allocates a zeroed gradient the size of the whole table at
every backward, then adds the batch's rows into it. For MiniLM's 30522 x 384 table that zero-fill
was 16 ms of a 140 ms bf16 step on a 2-core AVX512-BF16 CPU (docs/performance.md), and RoBERTa's
50265 x 1024 table is four times larger. Only the rows of the batch's tokens are ever non-zero.

How: the embedding computes a *sparse* gradient (the batch's rows only) and autograd adds it
into a dense buffer that stays attached as ``.grad`` between updates; after each update only the
rows the update touched are zeroed again. The optimizer, the clipping and the gradient norm all
see the same dense gradient as before, so the fused AdamW still updates every row (the moments
of rows no token touched decay as in the authors' AdamW): this is not sparse or lazy Adam.
tests/test_training_loop.py checks that a run's weights come out bitwise equal with and without
it, with one micro-batch per update and with accumulation.

Used only where it was measured and is safe: one process on CPU, an eager (not compiled)
forward, an ``nn.Embedding`` input layer not tied to an output layer. DDP reduces sparse
gradients differently, and on a GPU the caching allocator reuses the memory and a fill runs at
memory bandwidth, so there is nothing to win there.
"""
from __future__ import annotations

import torch


class ReusedEmbeddingGrad:
    """Attach to a model before its first backward; call ``after_update()`` after each
    ``optimizer.zero_grad(set_to_none=True)`` and ``close()`` when the run ends."""

    def __init__(self, embedding: torch.nn.Embedding):
        self.embedding, self.weight = embedding, embedding.weight
        self.buffer = torch.zeros_like(self.weight)
        self.rows: list[torch.Tensor] = []
        embedding.sparse = True
        self.weight.grad = self.buffer
        # a hook on a leaf sees each micro-batch's gradient before it is added into .grad
        self.hook = self.weight.register_hook(self._remember_rows)

    def _remember_rows(self, grad):
        # A token's rows are summed within the micro-batch first, from zero and in the order
        # they occur (as the dense backward sums them), then added into the buffer once, as the
        # dense gradient is added into .grad. Summing them straight into the buffer would round
        # differently under accumulation, and torch's coalesce() sums in another order.
        rows, where = torch.unique(grad._indices()[0], return_inverse=True)
        summed = torch.zeros(len(rows), grad.shape[1], dtype=grad.dtype, device=grad.device)
        summed.index_add_(0, where, grad._values())
        self.rows.append(rows)  # the padding index is already left out
        return torch.sparse_coo_tensor(rows[None], summed, grad.shape, is_coalesced=True,
                                       check_invariants=False)

    def after_update(self) -> None:
        """Zero the rows the last update touched and give the buffer back to the weight."""
        if self.rows:
            self.buffer.index_fill_(0, torch.cat(self.rows), 0.0)  # a repeated row: zeroed twice
            self.rows.clear()
        self.weight.grad = self.buffer

    def close(self) -> None:
        """The module as it was: a dense backward, no gradient held."""
        self.hook.remove()
        self.embedding.sparse = False
        self.weight.grad = None


def attach(model, device: torch.device, world: int, compiled: bool) -> ReusedEmbeddingGrad | None:
    """A ReusedEmbeddingGrad for the model's input embedding where it applies, else None."""
    embedding, output = model.get_input_embeddings(), model.get_output_embeddings()
    # a tied output layer adds a dense gradient to every row, which zeroing only the batch's
    # rows would leak into the next update
    tied = output is not None and output.weight is embedding.weight
    usable = (device.type == "cpu" and world == 1 and not compiled and not tied
              and type(embedding) is torch.nn.Embedding and embedding.max_norm is None
              and embedding.weight.requires_grad)
    return ReusedEmbeddingGrad(embedding) if usable else None
