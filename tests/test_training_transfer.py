"""Head-aware transfer between tasks, checkpoints as --init, and zero-shot evaluation (tiny:bert
on the tasks' sample files)."""
import json

import pytest
import torch
from safetensors.torch import load_file

from stilts_nb import cli
from stilts_nb.tasks import get_task, load
from stilts_nb.training import EvalConfig, TrainConfig, models, train, zero_shot


pytestmark = pytest.mark.usefixtures("one_torch_thread")


@pytest.fixture(scope="module")
def checkpoints(sample_data, tmp_path_factory):
    """One multiple-choice (WinoGrande) and one classification (WiC) checkpoint of tiny:bert."""
    root = tmp_path_factory.mktemp("ckpt")
    common = dict(model="tiny:bert", lr=1e-3, batch_size=16, warmup_ratio=0.0, seed=5, epochs=1,
                  train_limit=32, eval_limit=48, progress=False, data_dir=str(sample_data), save=True)
    mc = train(TrainConfig(task="winogrande_xs", out=str(root / "mc"), **common))
    cls = train(TrainConfig(task="wic", out=str(root / "cls"), **common))
    return {"mc": root / "mc", "cls": root / "cls", "mc_metrics": mc, "cls_metrics": cls}


def weights(folder):
    return load_file(str(folder / "model.safetensors"))


def build(task, folder, seed=1, keep_head=False):
    source = models.inspect(str(folder))
    model, record = models.build(get_task(task), source, seed, keep_head=keep_head)
    return {k: v.detach() for k, v in model.state_dict().items()}, record


def test_checkpoint_is_safetensors_with_tokenizer(checkpoints):
    files = {p.name for p in checkpoints["mc"].iterdir()}
    assert "model.safetensors" in files and "config.json" in files and "tokenizer.json" in files
    assert not any(f.endswith((".bin", ".pt", ".pkl")) for f in files)
    assert checkpoints["mc_metrics"].checkpoint == str(checkpoints["mc"])


def test_mc_to_mc_keeps_the_scoring_head(checkpoints):
    state, record = build("winogrande_xs", checkpoints["mc"])
    saved = weights(checkpoints["mc"])
    assert record["new"] == [] and record["head_transferred"]
    assert "classifier" in record["transferred"] and "bert" in record["transferred"]
    for key in ("classifier.weight", "bert.pooler.dense.weight", "bert.encoder.layer.0.attention.self.query.weight"):
        assert torch.equal(state[key], saved[key])


def test_mc_to_classification_new_head_same_encoder(checkpoints):
    state, record = build("wic", checkpoints["mc"])
    saved = weights(checkpoints["mc"])
    assert record["new"] == ["classifier"] and record["transferred"] == ["bert"]
    assert state["classifier.weight"].shape == (2, 32)
    assert torch.equal(state["bert.pooler.dense.weight"], saved["bert.pooler.dense.weight"])
    assert torch.equal(state["bert.embeddings.word_embeddings.weight"], saved["bert.embeddings.word_embeddings.weight"])


def test_classification_to_mc_new_head(checkpoints):
    state, record = build("winogrande_xs", checkpoints["cls"])
    assert record["new"] == ["classifier"] and record["transferred"] == ["bert"]
    assert state["classifier.weight"].shape == (1, 32)


def test_classification_head_new_even_when_shapes_match(checkpoints):
    saved = weights(checkpoints["cls"])
    state, record = build("rte", checkpoints["cls"], seed=9)          # WiC -> RTE, 2 labels each
    assert record["new"] == ["classifier"]
    assert not torch.equal(state["classifier.weight"], saved["classifier.weight"])
    again, _ = build("rte", checkpoints["cls"], seed=9)
    other, _ = build("rte", checkpoints["cls"], seed=10)
    assert torch.equal(again["classifier.weight"], state["classifier.weight"])   # seed fixes it
    assert not torch.equal(other["classifier.weight"], state["classifier.weight"])
    assert torch.equal(other["bert.pooler.dense.weight"], state["bert.pooler.dense.weight"])
    kept, rec = build("rte", checkpoints["cls"], keep_head=True)
    assert rec["new"] == [] and torch.equal(kept["classifier.weight"], saved["classifier.weight"])


def test_training_from_init_records_transfer(checkpoints, sample_data, tmp_path):
    code = cli.main(["train", "--task", "winogrande_xs", "--model", "tiny:bert", "--init",
                     str(checkpoints["cls"]), "--lr", "1e-3", "--batch-size", "8", "--warmup-ratio", "0",
                     "--seed", "2", "--epochs", "1", "--train-limit", "16", "--eval-limit", "16",
                     "--data-dir", str(sample_data), "--no-progress", "--out", str(tmp_path)])
    m = json.loads((tmp_path / "metrics.json").read_text())
    assert code == 0 and m["init"] == str(checkpoints["cls"])
    assert m["transferred"] == ["bert"] and m["new"] == ["classifier"] and m["source_kind"] == "classification"


def test_zero_shot_of_mc_checkpoint_reproduces_its_final_score(checkpoints, sample_data, tmp_path):
    m = zero_shot(EvalConfig(task="winogrande_xs", model=str(checkpoints["mc"]), seeds=(1, 2, 3),
                             eval_limit=48, data_dir=str(sample_data), progress=False, out=str(tmp_path)))
    assert m["head_transferred"] and m["new"] == []
    assert m["scores"] == [checkpoints["mc_metrics"].score]    # a trained head: seeds cannot matter
    assert json.loads((tmp_path / "metrics.json").read_text())["score"] == m["score"]


def test_zero_shot_to_other_number_of_choices(checkpoints, sample_data):
    m = zero_shot(EvalConfig(task="socialiqa", model=str(checkpoints["mc"]), eval_limit=30,
                             data_dir=str(sample_data), progress=False))
    labels = [ex["label"] for ex in load(get_task("socialiqa"), "dev", sample_data).examples[:30]]
    majority = max(labels.count(c) for c in set(labels)) / 30  # the floor: not chance (issue 17)
    assert m["head_transferred"] and m["baseline"] == pytest.approx(majority) and majority > 1 / 3
    assert 0 <= m["score"] <= 1 and m["eval_examples"] == 30


def test_zero_shot_random_head_over_seeds(sample_data):
    m = zero_shot(EvalConfig(task="winogrande_xs", model="tiny:bert", seeds=(1, 2, 3, 4), eval_limit=200,
                             data_dir=str(sample_data), progress=False))
    assert not m["head_transferred"] and m["new"] == ["classifier"] and len(m["scores"]) == 4
    assert m["score"] == pytest.approx(sum(m["scores"]) / 4)
    assert m["score_std"] > 0 and m["score_min"] < m["score_max"]   # the head seed matters
