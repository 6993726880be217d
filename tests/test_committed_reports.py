"""The demo reports in the repository are what a reader opens first: they must show every figure
and nothing of the machine that built them (the same checks as the smoke reports)."""
import re

import pytest

from conftest import REPO
from report_checks import check_report
from test_notebooks import SECTIONS

DEMO = REPO / "reports" / "demo"


@pytest.mark.parametrize("name", SECTIONS)
def test_committed_demo_report_is_readable(name):
    book = check_report(DEMO / f"{name}.ipynb")
    injected = next(c for c in book.cells if "injected-parameters" in c.metadata.get("tags", []))
    assert 'profile = "demo"' in injected.source


def test_committed_demo_index_links_every_report():
    page = (DEMO / "index.html").read_text()
    for name in SECTIONS:
        assert f'href="{name}.html"' in page, name


def test_the_readme_times_are_the_index_times():
    """The README's wall time per notebook is the one the committed index shows (papermill's
    duration of the run that wrote each report), for every section: one number, one source."""
    said = re.search(r"Per notebook, as the index shows: (.*?)\.\s", (REPO / "README.md").read_text(), re.S)
    assert said, "README.md lost its sentence 'Per notebook, as the index shows: ...'"
    readme = {nb: int(s.replace(",", "")) for nb, s in re.findall(r"\b(0\d)\s+([\d,]+) s\b", said.group(1))}
    index = {}
    for block in (DEMO / "index.md").read_text().split("\n## [")[1:]:
        seconds = re.search(r"· (\d+) s to execute", block)
        index[block[:2]] = int(seconds.group(1))
    assert readme == index
