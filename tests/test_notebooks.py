"""The notebooks as users run them: papermill over the smoke profile, and every bad input."""
import shutil
import subprocess
import sys

import nbformat
import pytest

from conftest import REPO
from stilts_nb.errors import UserError
from stilts_nb.notebooks import NOTEBOOKS, load_parameters, run


@pytest.fixture
def workspace(tmp_path):
    """A copy of the notebooks and parameters, so reports and runs land in a temporary folder."""
    for folder in ("notebooks", "parameters"):
        shutil.copytree(REPO / folder, tmp_path / folder)
    return tmp_path


def test_source_notebooks_carry_no_outputs():
    for name in NOTEBOOKS:
        book = nbformat.read(REPO / "notebooks" / f"{name}.ipynb", as_version=4)
        code = [c for c in book.cells if c.cell_type == "code"]
        assert all(not c.outputs and c.execution_count is None for c in code), name
        assert sum("parameters" in c.metadata.get("tags", []) for c in code) == 1, name


@pytest.mark.parametrize("profile", ["smoke", "demo", "paper"])
def test_every_profile_names_only_known_parameters(profile):
    for name in NOTEBOOKS:
        assert isinstance(load_parameters(profile, name), dict)


def test_unknown_profile_notebook_and_key(workspace):
    with pytest.raises(UserError, match="unknown profile 'fast'"):
        run("fast", root=workspace)
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

    from stilts_nb.notebooks import tables

    runs = pd.DataFrame({"target": ["wic@1500"] * 4, "intermediate": ["none", "none", "cola", "cola"],
                         "score": [0.50, 0.60, 0.55, 0.62], "run_id": list("abcd"), "lr": [1e-4, 5e-5] * 2,
                         "batch_size": 16, "warmup_ratio": 0.1, "seed": 42, "degenerate": False})
    t2 = tables.table2(runs, ["wic@1500"]).set_index("intermediate")
    assert t2.loc["none", "wic@1500 ours"] == 60.0
    assert t2.loc["none", "wic paper (Pruksachatkun / Chang & Lu, quoted)"] == "70.5 / 71.8"
    t3 = tables.table3(runs, ["cola"])
    assert t3.loc[0, "ours Δ mean / Δ best"] == "+3.5 / +2.0"
    assert t3.loc[0, "paper Δ mean / Δ best (quoted)"] == "+3.9 / -0.3 (on all of wic)"
