"""What a researcher meets first: --version, helps with defaults, LICENSE/CITATION, and a plain
(non-editable) `pip install .` whose `stilts-nb run` writes under the current folder only."""
import os
import shutil
import subprocess
import sys
import tomllib

import pytest

from conftest import REPO
from stilts_nb import __version__
from stilts_nb.cli import build_parser, main


def test_version(capsys):
    with pytest.raises(SystemExit) as done:
        main(["--version"])
    assert done.value.code == 0 and capsys.readouterr().out.strip() == f"stilts-nb {__version__}"
    assert tomllib.loads((REPO / "pyproject.toml").read_text())["project"]["version"] == __version__


def test_every_subcommand_has_a_description_and_shows_defaults():
    sub = next(a for a in build_parser()._actions if a.choices and "train" in a.choices)
    for name, parser in sub.choices.items():
        assert parser.description, name
        text = parser.format_help()
        shown = [a for a in parser._actions if a.default not in (None, False) and a.help != "==SUPPRESS=="
                 and a.dest != "help" and a.option_strings]
        for action in shown:  # every flag with a default says what it is
            assert "default" in (action.help or "") or f"(default: {action.default})" in text, (name, action.dest)


def test_license_matches_pyproject_and_citation_cites_the_paper():
    project = tomllib.loads((REPO / "pyproject.toml").read_text())["project"]
    assert project["license"] == "MIT" and (REPO / "LICENSE").read_text().startswith("MIT License")
    cff = (REPO / "CITATION.cff").read_text()
    assert "Rethinking Why Intermediate-Task Fine-Tuning Works" in cff and "Findings" in cff
    assert "family-names: Chang" in cff and "family-names: Lu" in cff and f"version: {__version__}" in cff


@pytest.mark.slow
def test_plain_pip_install_runs_a_notebook_into_the_current_folder(tmp_path):
    src = tmp_path / "src"  # a copy: building writes build/ and *.egg-info beside the sources
    shutil.copytree(REPO / "stilts_nb", src / "stilts_nb", ignore=shutil.ignore_patterns("__pycache__"))
    for item in ("pyproject.toml", "README.md", "LICENSE"):
        shutil.copy(REPO / item, src / item)
    pip = [sys.executable, "-m", "pip", "-q", "--disable-pip-version-check"]
    subprocess.run([*pip, "wheel", "--no-deps", "--no-build-isolation", "-w", str(tmp_path / "wheel"), str(src)],
                   check=True, capture_output=True, timeout=300)
    site = tmp_path / "site"
    wheel = next((tmp_path / "wheel").glob("stilts_nb-*.whl"))
    subprocess.run([*pip, "install", "--no-deps", "--target", str(site), str(wheel)], check=True,
                   capture_output=True, timeout=300)
    before = sorted(p.name for p in site.rglob("*"))
    home = tmp_path / "home"
    home.mkdir()
    env = dict(os.environ, PYTHONPATH=str(site))
    env.pop("STILTS_STORE", None)
    proc = subprocess.run([sys.executable, "-m", "stilts_nb.cli", "run", "--profile", "smoke", "00_synthesis",
                           "--project", str(REPO)], cwd=home, env=env, capture_output=True, text=True, timeout=600)
    assert proc.returncode == 0, proc.stderr[-2000:]
    assert (home / "reports" / "smoke" / "00_synthesis.ipynb").exists()
    assert (home / "runs" / "smoke" / "synthesis" / "synthesis.jsonl").exists()
    assert sorted(p.name for p in site.rglob("*")) == before   # nothing written into the install
    used = subprocess.run([sys.executable, "-c", "import stilts_nb; print(stilts_nb.__file__)"],
                          cwd=home, env=env, capture_output=True, text=True).stdout
    assert used.startswith(str(site))  # the installed copy ran, not this checkout
