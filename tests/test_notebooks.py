"""The notebooks as users run them: papermill over the smoke profile, and every bad input."""
import os
import shutil
import subprocess
import sys
from pathlib import Path

import nbformat
import pytest

from conftest import REPO
from stilts_nb.errors import UserError
from stilts_nb.reporting import load_parameters, planning, profiles, run, sections

SECTIONS = sections.names(REPO)


@pytest.fixture
def workspace(tmp_path):
    """A copy of the notebooks and parameters, so reports and runs land in a temporary folder."""
    for folder in ("notebooks", "parameters"):
        shutil.copytree(REPO / folder, tmp_path / folder)
    return tmp_path


def test_source_notebooks_carry_no_outputs():
    for name in SECTIONS:
        book = nbformat.read(REPO / "notebooks" / f"{name}.ipynb", as_version=4)
        code = [c for c in book.cells if c.cell_type == "code"]
        assert all(not c.outputs and c.execution_count is None for c in code), name
        assert sum("parameters" in c.metadata.get("tags", []) for c in code) == 1, name


@pytest.mark.parametrize("profile", ["smoke", "demo", "paper"])
def test_every_profile_names_only_known_parameters(profile):
    for name in SECTIONS:
        assert isinstance(load_parameters(profile, name), dict)


def test_every_name_a_notebook_uses_is_defined_in_it():
    """No globals().update: the profile's values come from one visible planning.section call."""
    for name in SECTIONS:
        book = nbformat.read(REPO / "notebooks" / f"{name}.ipynb", as_version=4)
        code = "\n".join(c.source for c in book.cells if c.cell_type == "code")
        assert "globals()" not in code, name
        assert code.count(f'section = planning.section(profile, "{name}", overrides)') == 1, name


def test_a_profile_is_a_folder_of_notebook_yaml_or_an_overlay(workspace):
    assert profiles(workspace) == ["demo", "paper", "paper-rehearsal", "smoke"]  # not sweeps/
    shutil.copytree(workspace / "parameters" / "smoke", workspace / "parameters" / "my-study")
    (workspace / "parameters" / "notes").mkdir()  # a folder without notebook YAML is no profile
    (workspace / "parameters" / "notes" / "ideas.yaml").write_text("lr: 1\n")
    assert profiles(workspace) == ["demo", "my-study", "paper", "paper-rehearsal", "smoke"]
    assert load_parameters("my-study", "01_baselines", workspace) == load_parameters("smoke", "01_baselines", workspace)


def test_unknown_profile_notebook_and_key(workspace):
    with pytest.raises(UserError, match=r"unknown profile 'fast': no folder .*parameters/fast with notebook "
                                        r"YAML files .*; the profiles of this project: demo, paper, "
                                        r"paper-rehearsal, smoke$"):
        run("fast", root=workspace)
    with pytest.raises(UserError, match="unknown profile 'sweeps'"):
        run("sweeps", root=workspace)
    with pytest.raises(UserError, match="unknown notebook.*07_extra"):
        run("smoke", ["07_extra"], root=workspace)
    path = workspace / "parameters" / "smoke" / "06_stability.yaml"
    path.write_text(path.read_text() + "margni: 0.1\n")
    with pytest.raises(UserError, match=r"06_stability.yaml: unknown parameter\(s\) margni"):
        run("smoke", ["06_stability"], root=workspace)
    assert not (workspace / "reports").exists()  # refused before anything ran


def test_missing_data_is_named_before_training(workspace, tmp_path, monkeypatch):
    (tmp_path / "empty").mkdir()
    monkeypatch.setenv("STILTS_DATA_DIR", str(tmp_path / "empty"))
    with pytest.raises(UserError, match=r"task data missing.*\n  rte \(for 01_baselines\): put train.tsv, "
                                        r"dev.tsv \(glue-tsv\) or train.jsonl, val.jsonl \(superglue-jsonl\) "
                                        r"under .*empty/RTE/"):
        run("smoke", ["01_baselines"], root=workspace)
    assert not (workspace / "reports").exists() and not (workspace / "runs").exists()


def test_cli_error_is_one_line(workspace):
    proc = subprocess.run([sys.executable, "-m", "stilts_nb.cli", "run", "--profile", "nope"],
                          capture_output=True, text=True)
    assert proc.returncode == 2 and proc.stderr.count("\n") == 1 and "unknown profile 'nope'" in proc.stderr


def test_subset_target_is_set_beside_the_papers_full_task():
    """wic@1500 is not in the paper; the quoted column is the paper's full WiC, and says so."""
    import pandas as pd

    from stilts_nb.reporting import tables

    runs = pd.DataFrame({"target": ["wic@1500"] * 4, "intermediate": ["none", "none", "cola", "cola"],
                         "score": [0.50, 0.60, 0.55, 0.62], "run_id": list("abcd"), "lr": [1e-4, 5e-5] * 2,
                         "batch_size": 16, "warmup_ratio": 0.1, "seed": 42, "degenerate": False})
    t2 = tables.table2(runs, ["wic@1500"]).set_index("intermediate")
    assert t2.loc["none", "wic@1500 ours, best (dev-selected, optimistic)"] == 60.0
    assert t2.loc["none", "wic paper (Pruksachatkun / Chang & Lu, quoted)"] == "70.5 / 71.8"
    assert t2.loc["hellaswag", "wic@1500 ours, best (dev-selected, optimistic)"] == "not available offline"
    # the offline stand-in for HellaSwag gets its own row, labelled as a stand-in
    stand_in = tables.table2(runs.replace({"intermediate": {"cola": "socialiqa@2000"}}), ["wic@1500"])
    assert list(stand_in["intermediate"]) == ["none", "hellaswag", "socialiqa@2000"]
    assert list(stand_in["role"]) == ["the paper's", "the paper's", "stand-in for HellaSwag"]
    assert stand_in.iloc[2]["wic@1500 ours, best (dev-selected, optimistic)"] == 62.0
    t3 = tables.table3(runs, ["cola"])
    assert t3.loc[0, "ours Δ mean / Δ best (dev-selected, optimistic)"] == "+3.5 / +2.0"
    assert t3.loc[0, "paper Δ mean / Δ best (quoted)"] == "+3.9 / -0.3 (on all of wic)"


def test_a_section_types_what_every_notebook_uses(workspace, monkeypatch):
    monkeypatch.chdir(workspace)
    monkeypatch.setenv("STILTS_PROJECT", str(workspace))
    sec = planning.section("smoke", "02_intermediate_ablation", {"store": "runs/mine.sqlite"})
    assert (sec.store, sec.executor, sec.figures) == ("runs/mine.sqlite", "local", Path("figures/smoke"))
    assert sec.values["ablation"] == ["cola", "hellaswag-sh", "synthesis-sh"] and sec.runs is None
    assert sec.sweep["task_settings"]["synthesis"]["files"]["train"].endswith("runs/smoke/synthesis/synthesis.jsonl")
    stability = planning.section("smoke", "06_stability")  # names baselines: 01: analyses 01's sweep
    assert stability.sweep == planning.notebook_spec("smoke", "01_baselines")
    synthesis = planning.section("smoke", "00_synthesis")
    assert synthesis.sweep is None and synthesis.values["n"] == 40
    with pytest.raises(UserError, match=r"00_synthesis \(smoke profile\) has no sweep: it trains nothing"):
        synthesis.train()
    with pytest.raises(UserError, match=r"call section.train\(\) first"):
        sec.sizes("target")
    with pytest.raises(UserError, match=r"overrides: unknown parameter\(s\) margni; 06_stability takes"):
        planning.section("smoke", "06_stability", {"margni": 1})


@pytest.mark.slow
def test_a_copied_and_edited_profile_runs_end_to_end(workspace, shared_data):
    """The README's recipe: copy parameters/smoke/ to parameters/my-study/, edit a value, run it."""
    import yaml

    from stilts_nb.sweeps import results

    study = workspace / "parameters" / "my-study"
    shutil.copytree(workspace / "parameters" / "smoke", study)
    path = study / "01_baselines.yaml"
    values = yaml.safe_load(path.read_text())
    # only None -> RTE (no Synthesis build to make first), one seed, and a learning rate of ours
    values["sweep"].update(intermediates=["none"], grid={"lr": [3.0e-4], "batch_size": [8],
                                                         "warmup_ratio": [0.0], "seed": [7]})
    values.update(synthesis_build=None, optional_intermediates=[])
    path.write_text(yaml.safe_dump(values))
    env = {**os.environ, "PYTHONPATH": str(REPO)}
    env.pop("STILTS_STORE", None)
    proc = subprocess.run([sys.executable, "-m", "stilts_nb.cli", "run", "--profile", "my-study",
                           "01_baselines"], cwd=workspace, env=env, capture_output=True, text=True,
                          timeout=900)
    assert proc.returncode == 0, proc.stdout[-2000:] + proc.stderr[-2000:]
    assert (workspace / "reports" / "my-study" / "01_baselines.html").is_file()
    runs = results(workspace / "runs" / "stilts.sqlite")
    assert list(zip(runs["role"], runs["lr"], runs["seed"], runs["status"])) == [("target", 3e-4, 7, "done")]
