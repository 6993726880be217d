"""The paper profile's head rule, end to end on tiny:bert: a CoLA checkpoint's classification
head is kept on WiC (2 labels -> 2 labels, as the authors' from_pretrained did) and replaced on
MedNLI (2 -> 3 labels), with the reason recorded in each run's metrics."""
from pathlib import Path

import pytest
import torch
import yaml
from safetensors.torch import load_file

from stilts_nb.tasks import get_task
from conftest import REPO
from stilts_nb.training import models

pytestmark = pytest.mark.usefixtures("one_torch_thread")


def test_paper_profile_keeps_colas_head_on_wic_and_makes_a_new_one_on_mednli(tmp_path, sample_data):
    from stilts_nb.sweeps import parse_sweep, results, run_sweep

    spec = yaml.safe_load((REPO / "parameters" / "paper" / "02_intermediate_ablation.yaml").read_text())["sweep"]
    assert spec["keep_head"] is True                       # the paper profile follows the authors
    small = {"train_limit": 16, "eval_limit": 16, "epochs": 1}
    spec.update(model="tiny:bert", data_dir=str(sample_data), intermediates=["cola"],
                targets=["wic", "mednli"], resources={}, max_device_batch=16, eval_each_epoch=False,
                grid={"lr": [1e-3], "batch_size": [8], "warmup_ratio": [0.0], "seed": [12]},
                intermediate_training={**spec["intermediate_training"], "lr": 1e-3, **small}, **small)
    store = tmp_path / "store.sqlite"
    summary = run_sweep(parse_sweep({"name": "paper-head", **spec}), store, progress=False, log=lambda *a, **k: None)
    assert summary.get("done") == 3
    runs = results(store, full=True).set_index("task")
    wic, mednli = runs.loc["wic", "result"], runs.loc["mednli", "result"]
    assert wic["head_transferred"] and wic["new"] == [] and wic["head_reason"].startswith("kept")
    assert not mednli["head_transferred"] and mednli["new"] == ["classifier"]
    assert "shapes differ" in mednli["head_reason"] and "2 labels" in mednli["head_reason"]
    assert runs.loc["wic", "config"]["keep_head"] is True

    # the kept head is CoLA's trained classifier, weight for weight, before WiC training starts
    ckpt = Path(runs.loc["cola", "checkpoint"])
    source = models.inspect(str(ckpt))
    saved = load_file(str(ckpt / "model.safetensors"))
    kept, _ = models.build(get_task("wic"), source, seed=12, keep_head=True)
    assert torch.equal(kept.state_dict()["classifier.weight"], saved["classifier.weight"])
    fresh, record = models.build(get_task("mednli"), source, seed=12, keep_head=True)
    assert fresh.state_dict()["classifier.weight"].shape == (3, saved["classifier.weight"].shape[1])
    assert record["transferred"] == ["bert"]


def test_project_default_makes_a_new_classification_head(tmp_path):
    from stilts_nb.sweeps import parse_sweep

    sweep = parse_sweep({"model": "tiny:bert", "targets": ["wic"]})
    assert sweep.run_setting("keep_head") is False
    keep, why = models.head_rule(get_task("wic"), models.Source("x", "x", None, "classification"),
                                 keep_head=False, fits=True)
    assert not keep and why.startswith("new head: keep_head is off")
