"""A fresh clone without the real task files: those tests skip with one reason, except under CI."""
import os
import subprocess
import sys

from conftest import NO_DATA, REPO

ONE_REAL_TEST = "tests/test_tasks_real_data.py::test_majority_baselines"


def _pytest(**env_over):
    env = {k: v for k, v in os.environ.items() if k not in ("STILTS_DATA_DIR", "CI")}
    env.update(env_over, PYTHONPATH=str(REPO))
    return subprocess.run([sys.executable, "-m", "pytest", ONE_REAL_TEST, "-q", "-rs", "-p", "no:cacheprovider"],
                          cwd=REPO, env=env, capture_output=True, text=True, timeout=120)


def test_missing_real_data_skips_with_one_reason():
    proc = _pytest()
    assert proc.returncode == 0, proc.stdout + proc.stderr
    assert "1 skipped" in proc.stdout and NO_DATA in proc.stdout


def test_missing_real_data_fails_under_ci(tmp_path):
    proc = _pytest(CI="true", STILTS_DATA_DIR=str(tmp_path))
    assert proc.returncode == 1 and NO_DATA in proc.stdout and "CI=true" in proc.stdout
