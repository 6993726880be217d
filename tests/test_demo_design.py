"""The demo profile is the study docs/demo-design.md sizes: the checks a reviewer would make on
its YAML before spending an hour of CPU on it."""
import itertools
from pathlib import Path

import yaml

from stilts_nb.reporting import paper

DEMO = Path(__file__).resolve().parents[1] / "parameters" / "demo"


def test_the_main_comparison_pairs_at_least_ten_configurations_and_has_the_hellaswag_roles():
    main = yaml.safe_load((DEMO / "01_baselines.yaml").read_text())["sweep"]
    grid = main["grid"]
    assert len(list(itertools.product(*grid.values()))) >= 10
    roles = {paper.stand_in_for(i) for i in main["intermediates"]}
    assert {"hellaswag", "hellaswag-p"} <= roles and "synthesis" in main["intermediates"]


def test_the_other_notebooks_reuse_01s_runs_and_keep_at_least_six_pairs():
    """02-04 train a subset of 01's grid on 01's target with the same settings, so None's runs
    (and 03's and 04's full-size points) are read from the store, and each verdict can test."""
    main = yaml.safe_load((DEMO / "01_baselines.yaml").read_text())["sweep"]
    grid01 = set(itertools.product(*(main["grid"][k] for k in ("lr", "batch_size", "warmup_ratio", "seed"))))
    same = ("model", "task_settings", "eval_limit", "precision", "batching", "intermediate_training")
    for name in ("02_intermediate_ablation", "03_target_size", "04_intermediate_size"):
        spec = yaml.safe_load((DEMO / f"{name}.yaml").read_text())["sweep"]
        grid = set(itertools.product(*(spec["grid"][k] for k in ("lr", "batch_size", "warmup_ratio", "seed"))))
        assert grid <= grid01 and len(grid) >= 6, name
        assert main["targets"][0] in spec["targets"], name
        assert all(spec.get(k) == main.get(k) or k == "task_settings" and
                   spec[k]["wic"] == main[k]["wic"] for k in same), name
