"""A section is declared once: its notebook's own metadata (stilts.order) and, in each profile that
runs it, a parameters file. Adding one is those files and nothing else: the runner, the index and
`stilts-nb run --help` find it."""
import json
import re
import subprocess
import sys
from pathlib import Path

import pytest

from conftest import REPO
from stilts_nb.errors import UserError
from stilts_nb.reporting import run, sections


def write_section(root: Path, name: str, order: int | None, code: str = "print('ran', profile)") -> Path:
    """notebooks/NAME.ipynb: a heading (its title in the index), the parameters cell and `code`,
    declared the section at `order`; with order None, a scratch notebook that declares nothing."""
    import nbformat

    book = nbformat.v4.new_notebook()
    parameters = nbformat.v4.new_code_cell('profile = "smoke"\noverrides = {}')
    parameters.metadata["tags"] = ["parameters"]
    book.cells = [nbformat.v4.new_markdown_cell(f"# {name.capitalize()} section"), parameters,
                  nbformat.v4.new_code_cell(code)]
    book.metadata["kernelspec"] = {"name": "python3", "display_name": "Python 3", "language": "python"}
    if order is not None:
        book.metadata[sections.KEY] = {"order": order}
    path = root / "notebooks" / f"{name}.ipynb"
    path.parent.mkdir(parents=True, exist_ok=True)
    nbformat.write(book, path)
    return path


def write_parameters(root: Path, profile: str, name: str, values: dict) -> Path:
    import yaml

    path = root / "parameters" / profile / f"{name}.yaml"
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(yaml.safe_dump(values))
    return path


def test_the_repositorys_sections_run_in_their_numbered_order():
    assert sections.names(REPO) == sorted(p.stem for p in (REPO / "notebooks").glob("*.ipynb"))
    assert sections.names(REPO)[:2] == ["00_synthesis", "01_baselines"] and len(sections.names(REPO)) == 8


def test_a_section_is_a_notebook_with_an_order_of_its_own(tmp_path):
    write_section(tmp_path, "b_first", 1)
    write_section(tmp_path, "a_second", 2)
    write_section(tmp_path, "scratch", None)
    assert sections.names(tmp_path) == ["b_first", "a_second"]  # the metadata's order, not the file name's
    write_section(tmp_path, "c_clash", 2)
    with pytest.raises(UserError, match=r"c_clash.ipynb: metadata stilts.order 2 is also a_second's"):
        sections.names(tmp_path)
    path = write_section(tmp_path, "c_clash", 3)
    book = json.loads(path.read_text())
    book["metadata"]["stilts"]["title"] = "Clash"  # the title is the notebook's heading, not metadata
    path.write_text(json.dumps(book))
    with pytest.raises(UserError, match=r'c_clash.ipynb: metadata stilts must be \{"order": N\}'):
        sections.names(tmp_path)


def throwaway_project(root: Path) -> Path:
    """Sections first (1) and last (3) in profile mini; `elsewhere` (4) has no file in it."""
    for name, order in (("first", 1), ("last", 3), ("elsewhere", 4)):
        write_section(root, name, order)
    write_section(root, "scratch", None)
    for name in ("first", "last"):
        write_parameters(root, "mini", name, {"note": 1})
    return root


def test_a_throwaway_section_runs_in_its_order_and_is_indexed(tmp_path):
    project = throwaway_project(tmp_path / "project")
    # the whole addition: a notebook that declares its order, and the profile's parameters file
    write_section(project, "extra", 2, code="print('the throwaway section ran in', profile)")
    write_parameters(project, "mini", "extra", {"note": 2})
    out = subprocess.run([sys.executable, "-m", "stilts_nb.cli", "run", "--profile", "mini", "--project",
                          str(project), "--out-dir", "out"], cwd=tmp_path, capture_output=True, text=True,
                         timeout=600)
    assert out.returncode == 0, out.stderr[-3000:]
    assert re.findall(r"\] (\w+): running", out.stdout) == ["first", "extra", "last"]  # no file, no run
    reports = tmp_path / "out" / "reports" / "mini"
    assert "the throwaway section ran in mini" in (reports / "extra.ipynb").read_text()
    index = (reports / "index.md").read_text()
    assert re.findall(r"^## \[(.+)\]\((\w+)\.html\)$", index, re.M) == [
        ("First section", "first"), ("Extra section", "extra"), ("Last section", "last")]
    assert 'href="extra.html"' in (reports / "index.html").read_text()
    helped = subprocess.run([sys.executable, "-m", "stilts_nb.cli", "run", "--help"], cwd=project,
                            capture_output=True, text=True, timeout=120)
    assert "default: all (first, extra, last, elsewhere)" in " ".join(helped.stdout.split())


def test_a_profile_file_that_names_no_section_is_refused(tmp_path):
    project = throwaway_project(tmp_path)
    with pytest.raises(UserError, match="no parameters for notebook elsewhere in profile mini"):
        run("mini", ["elsewhere"], root=project)
    write_parameters(project, "mini", "frist", {"note": 1})  # misspelt: `first` would not run
    with pytest.raises(UserError, match=r"mini/frist.yaml: parameters for no section: notebooks/frist.ipynb "
                                        r"is missing or has no metadata stilts.order .*; the sections of "
                                        r"this project: first, last, elsewhere$"):
        run("mini", root=project)
    assert not (project / "reports").exists()  # refused before anything ran
