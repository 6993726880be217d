"""The demo profile is the study docs/demo-design.md sizes: the checks a reviewer would make on
its YAML before spending an hour of CPU on it."""
import itertools
from pathlib import Path

import yaml

from stilts_nb import wording
from stilts_nb.sweeps.plan import seed_blocks

DEMO = Path(__file__).resolve().parents[1] / "parameters" / "demo"
GRID = ("lr", "batch_size", "warmup_ratio", "seed")


def spec(name):
    return yaml.safe_load((DEMO / f"{name}.yaml").read_text())


def seeds(sweep):
    given = sweep["intermediate_training"]["seed"]
    return given if isinstance(given, list) else [given]


def test_the_main_study_replicates_each_intermediate_task_and_has_the_papers_roles_and_regime():
    """Each intermediate task trained several times (the claim is about the task), HellaSwag's
    roles filled, the paper's claim tested against its stand-in, and a target where None fails."""
    values = spec("01_baselines")
    main = values["sweep"]
    assert len(seeds(main)) >= 6  # the unit of replication is the checkpoint: a t-test over 6 of them
    roles = {wording.stand_in_for(i) for i in main["intermediates"]}
    assert {"hellaswag", "hellaswag-p"} <= roles and "synthesis" in main["intermediates"]
    assert wording.stand_in_for(values["reference"]) == "hellaswag"  # the paper's claim is tested against it
    assert len(main["targets"]) == 2 and any(t.startswith("cola") for t in main["targets"])  # None fails there


def test_the_other_notebooks_reuse_01s_runs_with_replicated_intermediates():
    """02-04 train blocks of 01's design on 01's target with the same settings, so None's runs (and
    03's and 04's full-size points) are read from the store: each of their checkpoints is one of
    01's, fine-tuned on target seeds from that checkpoint's block in 01."""
    main = spec("01_baselines")["sweep"]
    blocks01 = seed_blocks(main["grid"]["seed"], seeds(main))
    grid01 = set(itertools.product(*(main["grid"][k] for k in GRID)))
    same = ("model", "eval_limit", "precision", "batching")
    for name in ("02_intermediate_ablation", "03_target_size", "04_intermediate_size"):
        sweep = spec(name)["sweep"]
        assert set(itertools.product(*(sweep["grid"][k] for k in GRID))) <= grid01, name
        assert main["targets"][0] in sweep["targets"], name
        assert all(sweep.get(k) == main.get(k) for k in same) and sweep["task_settings"]["wic"] == main["task_settings"]["wic"], name
        training = {k: v for k, v in sweep["intermediate_training"].items() if k != "seed"}
        assert training == {k: v for k, v in main["intermediate_training"].items() if k != "seed"}, name
        assert len(seeds(sweep)) >= 3, name  # replicated, as the verdicts require
        for checkpoint, block in seed_blocks(sweep["grid"]["seed"], seeds(sweep)).items():
            assert set(block) <= set(blocks01[checkpoint]), (name, checkpoint)
