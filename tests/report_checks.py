"""What every executed report must hold for its reader, smoke-built or committed."""
import re

import nbformat

FIGURE_CELL = "display(fig)"
LEAKS = re.compile(r"Warning|Traceback|/tmp/|/work/|/home/|/root/|/Users/")
# pandas shows a float column nobody rounded with six decimals (0.184337, 1.000000): a reader
# must not see more digits than the numbers carry (tables.for_file / tables.rounded round them)
UNROUNDED = re.compile(r"\d\.\d{6,}")


def outputs(book, cell_filter=lambda c: True):
    return [o for c in book.cells if c.cell_type == "code" and cell_filter(c) for o in c.outputs]


def check_report(path):
    """Figures inside the notebook and its HTML; no error, stderr, warning or machine path."""
    book = nbformat.read(path, as_version=4)
    for cell in book.cells:
        if cell.cell_type == "code" and FIGURE_CELL in cell.source:
            assert any("image/png" in o.get("data", {}) for o in cell.outputs), (path.name, cell.source)
    images = sum("image/png" in o.get("data", {}) for o in outputs(book))
    page = path.with_suffix(".html").read_text()
    assert len(re.findall(r'<img[^>]*src="data:image/png;base64,', page)) >= images, path.name
    bad = [o for o in outputs(book) if o.output_type == "error" or o.get("name") == "stderr"]
    assert not bad, (path.name, bad[:1])
    for text in (path.read_text(), page):
        assert not LEAKS.search(text), (path.name, LEAKS.search(text))
    for out in outputs(book):
        shown = [out.get("text", ""), *(out.get("data", {}).get(kind, "") for kind in
                                        ("text/plain", "text/html", "text/markdown"))]
        found = UNROUNDED.search("".join(map(str, shown)))
        assert not found, (path.name, "an unrounded number is shown", found.group())
    return book
