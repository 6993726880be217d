"""The demo reports in the repository are what a reader opens first: they must show every figure
and nothing of the machine that built them (the same checks as the smoke reports)."""
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
