"""The training loop on a tiny random BERT and WiC's sample files (seconds per test)."""
import gc
import json
import math

import pytest
import torch

from stilts_nb.training import TrainConfig, batching, loop, train

TIMING = {"train_seconds", "train_cpu_seconds", "eval_seconds", "train_tokens_per_second", "config",
          "checkpoint"}


pytestmark = pytest.mark.usefixtures("one_torch_thread")


@pytest.fixture
def tiny(sample_data):
    def make(**kw):
        base = dict(task="wic", model="tiny:bert", lr=1e-3, batch_size=16, warmup_ratio=0.1,
                    seed=7, epochs=2, train_limit=48, eval_limit=32, progress=False,
                    log_every=1, data_dir=str(sample_data))
        base.update(kw)
        return TrainConfig(**base)
    return make


def stable(metrics):
    return {k: v for k, v in metrics.to_dict().items() if k not in TIMING}


def test_schedule_and_update_arithmetic(tiny):
    m = train(tiny(train_limit=50, epochs=3, warmup_ratio=0.2, lr=1e-3))
    per_epoch = math.ceil(50 / 16)                     # 4 updates, the last on 2 examples
    total = 3 * per_epoch
    warmup = int(0.2 * total)                          # 2.4 -> 2: truncated, as the authors
    assert warmup != math.ceil(0.2 * total)            # (the HF Trainer's rounding would give 3)
    assert (m.updates_per_epoch, m.optimizer_steps, m.warmup_steps) == (per_epoch, total, warmup)
    lrs = [s["lr"] for s in m.steps]
    expected = [1e-3 * (s / warmup if s < warmup else (total - s) / (total - warmup)) for s in range(total)]
    assert lrs == pytest.approx(expected, abs=1e-12)   # stepped once per update, linear decay to 0
    assert [s["step"] for s in m.steps] == list(range(1, total + 1))
    assert m.train_tokens == 3 * sum(len(r["input_ids"]) for r in _rows(tiny, 50))
    assert len(m.per_epoch) == 3 and m.per_epoch[-1]["score"] == m.score
    assert m.per_epoch[0]["score"] is None          # per-epoch scoring is opt-in
    assert m.per_epoch[0]["loss"] == pytest.approx(sum(s["loss"] for s in m.steps[:4]) / 4)


def _rows(tiny, n, split="train"):
    from stilts_nb.assets import load_tokenizer
    from stilts_nb.tasks import get_task, tokenize

    ds = tokenize(get_task("wic"), split, load_tokenizer("tiny:bert"), data_dir=tiny().data_dir)
    return ds.select(range(n))


def test_accumulation_equals_one_big_batch(tiny):
    """batch 16 in micro-batches of <=5 (4 micro-batches) or 3 (6) == one 16-example step."""
    whole = train(tiny(train_limit=50, dropout=0.0, max_device_batch=16))
    for micro in (5, 3):
        acc = train(tiny(train_limit=50, dropout=0.0, max_device_batch=micro))
        assert acc.micro_batches_per_update == math.ceil(16 / micro)
        a, b = [s["loss"] for s in whole.steps], [s["loss"] for s in acc.steps]
        assert a == pytest.approx(b, abs=1e-5)
        assert [s["grad_norm"] for s in whole.steps] == pytest.approx(
            [s["grad_norm"] for s in acc.steps], rel=1e-4)
        assert acc.score == whole.score


def test_same_seed_is_bitwise_identical_and_seeds_differ(tiny):
    a, b = train(tiny(seed=3)), train(tiny(seed=3))
    assert json.dumps(stable(a), sort_keys=True) == json.dumps(stable(b), sort_keys=True)
    c = train(tiny(seed=4))
    assert [s["loss"] for s in a.steps] != [s["loss"] for s in c.steps]


def test_seed_fixes_data_order_and_head():
    from stilts_nb.tasks import get_task
    from stilts_nb.training import models

    lengths = list(range(100))
    plans = [batching.epoch_batches(lengths, 16, torch.Generator().manual_seed(s), mode)
             for s in (1, 1, 2) for mode in ("random", "length")]
    assert plans[0] == plans[2] and plans[1] == plans[3]
    assert plans[0] != plans[4] and plans[1] != plans[5]
    for plan in plans:  # every epoch visits every example exactly once
        assert sorted(i for b in plan for i in b) == lengths
    # the classification head, built as the loop builds it: the seed decides it, and only it
    source = models.inspect("tiny:bert")
    heads = [models.build(get_task("wic"), source, seed)[0].state_dict() for seed in (1, 1, 2)]
    for key in ("classifier.weight", "classifier.bias"):
        assert torch.equal(heads[0][key], heads[1][key])
    assert not torch.equal(heads[0]["classifier.weight"], heads[2]["classifier.weight"])
    assert torch.equal(heads[0]["bert.pooler.dense.weight"], heads[2]["bert.pooler.dense.weight"])


def test_length_grouping_cuts_padding(tiny):
    rand = train(tiny(train_limit=96, epochs=1, batching="random"))
    grouped = train(tiny(train_limit=96, epochs=1, batching="length"))
    assert grouped.train_tokens == rand.train_tokens
    assert grouped.padding_efficiency > rand.padding_efficiency
    assert grouped.batching == "length" and grouped.config["batching"] == "length"


def test_shard_covers_batch_with_equal_micro_batch_counts():
    batch = list(range(37))
    for world in (1, 2, 3):
        shards = [batching.shard(batch, r, world, 5) for r in range(world)]
        assert len({len(s) for s in shards}) == 1  # same number of forward/backward passes
        assert sorted(i for s in shards for mb in s for i in mb) == batch
        assert max(len(mb) for s in shards for mb in s) <= 5
    # more ranks than examples: empty pieces that the loop replaces by zero-weight placeholders
    assert batching.shard([4], 1, 2, 8) == [[]]


def test_divergence_stops_and_is_recorded(tiny, monkeypatch, tmp_path):
    calls = {"n": 0}
    real = loop.F.cross_entropy

    def poisoned(logits, labels, **kw):
        calls["n"] += 1
        out = real(logits, labels, **kw)
        return out * float("inf") if calls["n"] == 5 else out
    monkeypatch.setattr(loop.F, "cross_entropy", poisoned)
    m = train(tiny(max_device_batch=8, out=str(tmp_path)))   # 2 micro-batches/update: the 3rd update
    assert m.diverged and m.diverged_at_step == 3 and m.optimizer_steps == 2
    # scored as its broken model: NaN logits -> argmax 0 for every dev example
    first_class = [r["labels"] for r in _rows(tiny, 32, "dev")].count(0) / 32
    assert m.score == pytest.approx(first_class) and m.degenerate
    assert len(m.steps) == 2
    # its kept predictions are that constant answer, without logits, and score what it scores
    p = m.predictions
    assert p["scores"] is None and (p["prediction"] == 0).all() and p["prediction"].shape == (1, 32)
    assert (p["prediction"][0] == p["gold"]).mean() == pytest.approx(m.score)
    assert json.loads((tmp_path / "metrics.json").read_text())["diverged"] is True


def test_absurd_learning_rate_diverges_without_exception(tiny):
    m = train(tiny(lr=1e30, warmup_ratio=0.0))
    assert m.diverged and m.score is not None and m.degenerate


def test_bf16_autocast_trains_close_to_fp32(tiny):
    fp32 = train(tiny(dropout=0.0))
    bf16 = train(tiny(dropout=0.0, precision="bf16"))
    assert bf16.precision == "bf16" and not bf16.diverged
    # autocast: the same model with coarser matmuls, so the curves differ yet stay close. The whole
    # curve, not its first point: a fresh tiny head's logits are near 0, and its first loss (about
    # ln 2) can round to the same float in both precisions
    a, b = [s["loss"] for s in fp32.steps], [s["loss"] for s in bf16.steps]
    assert a != b and b == pytest.approx(a, abs=0.02)


def test_many_runs_release_models(tiny):
    from transformers import PreTrainedModel

    def alive():
        gc.collect()
        return sum(issubclass(type(o), PreTrainedModel) for o in gc.get_objects())
    before = alive()
    for seed in range(3):
        train(tiny(seed=seed, epochs=1))
        assert alive() == before


def test_mcc_task_and_cli_writes_metrics(sample_data, tmp_path, capsys):
    from stilts_nb import cli

    train_file = tmp_path / "resplit" / "train.tsv"  # an explicit train file, as a CoLA re-split
    train_file.parent.mkdir()
    train_file.write_bytes((sample_data / "CoLA" / "train.tsv").read_bytes())
    code = cli.main(["train", "--task", "cola", "--model", "tiny:bert", "--lr", "1e-3",
                     "--batch-size", "16", "--warmup-ratio", "0.1", "--seed", "1", "--epochs", "1",
                     "--train-limit", "32", "--eval-limit", "64", "--eval-each-epoch",
                     "--data-dir", str(sample_data), "--train-file", str(train_file),
                     "--no-progress", "--out", str(tmp_path)])
    assert code == 0 and "metrics.json" in capsys.readouterr().out
    m = json.loads((tmp_path / "metrics.json").read_text())
    for key in ("task", "metric", "score", "per_epoch", "degenerate", "diverged", "train_seconds",
                "train_tokens", "transferred", "new"):
        assert key in m
    assert m["metric"] == "mcc" and m["baseline"] == 0.0 and -1 <= m["score"] <= 1
    assert m["degenerate"] == (m["score"] <= 0)
    assert m["per_epoch"][0]["score"] == m["score"] and m["train_tokens"] > 0


def test_cli_relative_file_is_taken_from_here_when_it_exists(tmp_path, monkeypatch):
    import argparse

    from stilts_nb.commands.training import _files

    (tmp_path / "mine.tsv").write_text("x\n")
    monkeypatch.chdir(tmp_path)
    files = _files(argparse.Namespace(train_file="mine.tsv", dev_file="CoLA/dev.tsv"))
    assert files == {"train": str((tmp_path / "mine.tsv").resolve()), "dev": "CoLA/dev.tsv"}  # dev: the data folder's


@pytest.mark.parametrize("micro", [16, 5])
def test_reused_embedding_gradient_changes_no_bit(tiny, tmp_path, monkeypatch, micro):
    """The kept word-embedding gradient (embedding_grad.py) against the dense backward: the same
    weights to the bit, with one micro-batch per update and with accumulation (16 in 5s)."""
    from safetensors.torch import load_file

    from stilts_nb.training import embedding_grad

    attached = []
    real_attach = embedding_grad.attach
    monkeypatch.setattr(embedding_grad, "attach", lambda *a, **k: attached.append(real_attach(*a, **k)) or attached[-1])
    kept = train(tiny(max_device_batch=micro, save=True, out=str(tmp_path / "kept")))
    assert isinstance(attached[-1], embedding_grad.ReusedEmbeddingGrad)  # the path under test ran
    assert attached[-1].embedding.sparse is False and attached[-1].weight.grad is None  # closed
    monkeypatch.setattr(embedding_grad, "attach", lambda *a, **k: None)
    dense = train(tiny(max_device_batch=micro, save=True, out=str(tmp_path / "dense")))
    a, b = (load_file(tmp_path / d / "model.safetensors") for d in ("kept", "dense"))
    assert a.keys() == b.keys()
    changed = [k for k in a if not torch.equal(a[k], b[k])]
    assert changed == []
    assert [s["grad_norm"] for s in kept.steps] == [s["grad_norm"] for s in dense.steps]


def test_reused_embedding_gradient_zeroes_only_what_it_must():
    """After an update the buffer is zero again (rows of every micro-batch), the padding row
    never receives gradient, and the buffer is the weight's .grad."""
    from stilts_nb.training.embedding_grad import ReusedEmbeddingGrad

    emb = torch.nn.Embedding(50, 4, padding_idx=0)
    kept = ReusedEmbeddingGrad(emb)
    for ids in (torch.tensor([[0, 3, 3, 7]]), torch.tensor([[9, 0, 3]])):  # two micro-batches
        emb(ids).sum().backward()
    grad = emb.weight.grad
    assert grad.layout == torch.strided                     # dense, as the optimizer expects
    assert grad[3].tolist() == [3.0] * 4 and grad[7].tolist() == [1.0] * 4
    assert grad[0].abs().sum() == 0                         # padding row untouched
    assert set(grad.abs().sum(1).nonzero().flatten().tolist()) == {3, 7, 9}
    emb.weight.grad = None                                  # what zero_grad(set_to_none) does
    kept.after_update()
    assert emb.weight.grad is kept.buffer and kept.buffer.abs().sum() == 0
    kept.close()
    assert emb.sparse is False and emb.weight.grad is None


def test_reused_embedding_gradient_only_where_it_is_safe():
    """attach() declines a tied output layer (its dense gradient would leak between updates),
    more than one process, a compiled forward and a GPU; it takes a plain classifier on CPU."""
    from transformers import BertConfig, BertForMaskedLM, BertForSequenceClassification

    from stilts_nb.training.embedding_grad import ReusedEmbeddingGrad, attach

    cfg = BertConfig(vocab_size=60, hidden_size=8, num_hidden_layers=1, num_attention_heads=2,
                     intermediate_size=16, max_position_embeddings=16)
    cpu = torch.device("cpu")
    assert attach(BertForMaskedLM(cfg), cpu, 1, compiled=False) is None  # tied decoder
    plain = BertForSequenceClassification(cfg)
    for device, world, compiled in ((cpu, 2, False), (cpu, 1, True), (torch.device("cuda"), 1, False)):
        assert attach(plain, device, world, compiled) is None
    kept = attach(plain, cpu, 1, compiled=False)
    assert isinstance(kept, ReusedEmbeddingGrad)
    kept.close()
