"""First contact (issue 30, items 1 and 2): every output folder option creates its folder with
its parents, an unwritable one is refused in one line; a tracker whose package cannot be
imported is refused with exit 2 before anything is trained or written, from every entry point.

The tracker's package is hidden for real: a folder first on PYTHONPATH holds a package of that
name whose import raises ImportError, as a missing or broken install does."""
import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from conftest import REPO
from test_sections import write_parameters, write_section
from test_sweeps_common import write_sweep

UNWRITABLE = "/proc/1/stilts-out/nested"  # no one, root included, creates files under /proc/1


def cli(*args, cwd=None, hide=(), timeout=300):
    env = dict(os.environ)
    if hide:
        shadow = Path(cwd) / "hidden-packages"
        for name in hide:
            (shadow / name).mkdir(parents=True, exist_ok=True)
            (shadow / name / "__init__.py").write_text(f"raise ImportError('{name} hidden by the test')\n")
        env["PYTHONPATH"] = os.pathsep.join([str(shadow), str(REPO), env.get("PYTHONPATH", "")])
    return subprocess.run([sys.executable, "-m", "stilts_nb.cli", *map(str, args)], cwd=cwd, env=env,
                          capture_output=True, text=True, timeout=timeout)


def one_line_exit_2(out, *expected):
    assert out.returncode == 2, (out.stdout[-2000:], out.stderr[-2000:])
    lines = out.stderr.strip().splitlines()
    assert len(lines) == 1, out.stderr
    for text in expected:
        assert text in lines[0], lines[0]
    return lines[0]


def mini_project(root: Path, params: dict) -> Path:
    """A project with one profile ("mini") and one section that only writes its parameters: the
    runner's path from the command line to an executed report, in seconds."""
    write_section(root, "06_stability", 6)
    write_parameters(root, "mini", "06_stability", params)
    return root


def test_run_creates_a_nested_out_dir(tmp_path):
    project = mini_project(tmp_path / "project", {"note": 1})
    out = cli("run", "--profile", "mini", "--project", project, "--out-dir", "results/today/one",
              "06_stability", cwd=tmp_path)
    assert out.returncode == 0, out.stderr[-3000:]
    report = tmp_path / "results" / "today" / "one" / "reports" / "mini"
    assert (report / "06_stability.ipynb").is_file() and (report / "06_stability.html").is_file()
    assert "ran mini" in (report / "06_stability.ipynb").read_text()


def test_run_refuses_an_unwritable_out_dir_in_one_line(tmp_path):
    project = mini_project(tmp_path / "project", {"note": 1})
    out = cli("run", "--profile", "mini", "--project", project, "--out-dir", UNWRITABLE, cwd=tmp_path)
    one_line_exit_2(out, "--out-dir", "/proc/1")
    assert sorted(p.name for p in tmp_path.iterdir()) == ["project"]


def test_train_and_evaluate_create_nested_out_folders(tmp_path, rte_dir):
    common = ("--task", "rte", "--model", "tiny:bert", "--train-limit", 8, "--eval-limit", 8,
              "--data-dir", rte_dir, "--no-progress")
    out = cli("train", *common, "--lr", 1e-4, "--batch-size", 8, "--warmup-ratio", 0, "--seed", 1,
              "--epochs", 1, "--out", "a/b/c", cwd=tmp_path)
    assert out.returncode == 0, out.stderr[-3000:]
    assert json.loads((tmp_path / "a/b/c/metrics.json").read_text())["score"] is not None
    out = cli("train", *common, "--lr", 1e-4, "--batch-size", 8, "--warmup-ratio", 0, "--seed", 1,
              "--epochs", 1, "--out", UNWRITABLE, cwd=tmp_path)
    one_line_exit_2(out, "--out", "/proc/1")


def test_sweep_creates_the_store_folder_with_parents(tmp_path, rte_dir):
    sweep = write_sweep(tmp_path / "s.yaml", rte_dir)
    out = cli("sweep", sweep, "--store", "x/y/z/st.sqlite", "--no-progress", cwd=tmp_path)
    assert out.returncode == 0, out.stderr[-3000:]
    assert (tmp_path / "x/y/z/st.sqlite").is_file()
    out = cli("sweep", sweep, "--store", f"{UNWRITABLE}/st.sqlite", cwd=tmp_path)
    one_line_exit_2(out, "--store", "/proc/1")


# --- trackers ---------------------------------------------------------------------------------

TRACKER_CASES = [("tensorboard", "pip install 'stilts-nb[tracking]'"),
                 ("mlflow", "pip install 'stilts-nb[mlflow]'"),
                 ("wandb", "pip install wandb")]


@pytest.mark.parametrize("kind,install", TRACKER_CASES)
def test_train_refuses_a_missing_tracker_before_training(tmp_path, rte_dir, kind, install):
    out = cli("train", "--task", "rte", "--model", "tiny:bert", "--lr", 1e-4, "--batch-size", 8,
              "--warmup-ratio", 0, "--seed", 1, "--data-dir", rte_dir, "--out", "run",
              "--log-with", kind, cwd=tmp_path, hide=[kind])
    one_line_exit_2(out, f"--log-with {kind}", install)
    assert not (tmp_path / "run").exists()


def test_sweep_refuses_a_missing_tracker_from_its_file_and_from_the_flag(tmp_path, rte_dir):
    in_file = write_sweep(tmp_path / "file.yaml", rte_dir, log_with="mlflow")
    out = cli("sweep", in_file, "--store", "st.sqlite", cwd=tmp_path, hide=["mlflow"])
    one_line_exit_2(out, "file.yaml: log_with mlflow", "pip install 'stilts-nb[mlflow]'")
    plain = write_sweep(tmp_path / "plain.yaml", rte_dir)
    out = cli("sweep", plain, "--store", "st.sqlite", "--log-with", "wandb", cwd=tmp_path, hide=["wandb"])
    one_line_exit_2(out, "log_with wandb", "pip install wandb")
    assert not (tmp_path / "st.sqlite").exists()


def test_run_refuses_a_notebooks_missing_tracker_before_the_first_notebook(tmp_path):
    project = mini_project(tmp_path / "project", {"sweep": {"log_with": "tensorboard"}})
    out = cli("run", "--profile", "mini", "--project", project, "--out-dir", "out", "06_stability", cwd=tmp_path,
              hide=["tensorboard"])
    one_line_exit_2(out, "06_stability (mini profile): log_with tensorboard",
                    "pip install 'stilts-nb[tracking]'")
    assert not (tmp_path / "out").exists()


def test_a_notebooks_sweep_refuses_a_missing_tracker_before_its_store_gets_a_row(tmp_path, rte_dir):
    # the notebook's own call (section.train -> sweep_runs -> run_sweep), as in JupyterLab
    code = ("import sys\n"
            "from stilts_nb.errors import UserError\n"
            "from stilts_nb.reporting.planning import sweep_runs\n"
            f"spec = {{'model': 'tiny:bert', 'targets': ['rte'], 'data_dir': {str(rte_dir)!r},\n"
            "        'train_limit': 8, 'eval_limit': 8, 'epochs': 1, 'log_with': 'wandb',\n"
            "        'grid': {'lr': [1e-4], 'batch_size': [8], 'warmup_ratio': [0.0], 'seed': [1]}}\n"
            "try:\n"
            "    sweep_runs(spec, 'runs/st.sqlite', name='01_baselines')\n"
            "except UserError as err:\n"
            "    print(err); sys.exit(2)\n")
    shadow = tmp_path / "hidden-packages" / "wandb"
    shadow.mkdir(parents=True)
    (shadow / "__init__.py").write_text("raise ImportError('wandb hidden by the test')\n")
    env = {**os.environ, "PYTHONPATH": os.pathsep.join([str(shadow.parent), str(REPO)])}
    out = subprocess.run([sys.executable, "-c", code], cwd=tmp_path, env=env, capture_output=True,
                         text=True, timeout=300)
    assert out.returncode == 2, out.stderr[-3000:]
    assert "01_baselines parameters: log_with wandb" in out.stdout and "pip install wandb" in out.stdout
    assert not (tmp_path / "runs" / "st.sqlite").exists()


def test_an_unknown_tracker_is_refused_in_the_sweep_file(tmp_path, rte_dir):
    sweep = write_sweep(tmp_path / "s.yaml", rte_dir, log_with="neptune")
    out = cli("sweep", sweep, "--store", "st.sqlite", cwd=tmp_path)
    one_line_exit_2(out, "log_with", "neptune")
    assert not (tmp_path / "st.sqlite").exists()


def test_sweep_refuses_an_unwritable_shared_dir_before_its_store_gets_a_row(tmp_path, rte_dir):
    sweep = write_sweep(tmp_path / "s.yaml", rte_dir)
    out = cli("sweep", sweep, "--store", "st.sqlite", "--shared-dir", UNWRITABLE, cwd=tmp_path)
    one_line_exit_2(out, "--shared-dir", "/proc/1")
    assert not (tmp_path / "st.sqlite").exists()
