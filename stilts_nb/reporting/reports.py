"""Reports a reader opens: each executed notebook as one self-contained HTML file (nbconvert's
lab template, figures embedded as data URIs, so a report survives being e-mailed), and an index
page per profile (index.html, and index.md for GitHub) with each notebook's title, its first
finding, a thumbnail of its first figure, the runs it used, the precision and kernels they (and
the Synthesis generator) computed in, and its wall time.

Why nbconvert and one small template rather than Jupyter Book / Quarto / MkDocs: papermill already
produces the executed notebooks; nbconvert ships with Jupyter, is what JupyterLab's own "export
to HTML" uses, and needs no second build tool or network access, and seven pages need no site.
"""
from __future__ import annotations

import base64
import html
import io
import os
import re
import sqlite3
from pathlib import Path

import nbformat

FINDING = "**Finding"  # findings.HEAD starts so
THUMB_WIDTH = 640   # px: the index's image of each report, drawn at this width
LEGIBLE_SCALE = 0.7  # the most a figure is shrunk: 7-pt tick labels (10 px at 100 dpi) stay 7 px tall


def finish(notebook: Path, project: Path, home: Path) -> Path:
    """Make an executed notebook shareable (no path of this machine in it) and export its HTML.
    `project`: the folder with notebooks/; `home`: the output folder."""
    from nbconvert import HTMLExporter

    book = nbformat.read(notebook, as_version=4)
    meta = book.metadata.get("papermill", {})
    for key, root in (("input_path", project), ("output_path", home)):  # papermill keeps them as given
        if meta.get(key):
            meta[key] = _relative(meta[key], root)
    nbformat.write(book, notebook)
    page, _ = HTMLExporter(template_name="lab").from_notebook_node(book)
    return _write(notebook.with_suffix(".html"), page)


def _relative(path: str, root: Path) -> str:
    try:
        return str(Path(path).resolve().relative_to(root.resolve()))
    except ValueError:
        return Path(path).name


def _write(target: Path, text: str) -> Path:
    tmp = target.with_suffix(f"{target.suffix}.tmp{os.getpid()}")  # never a half-written page
    tmp.write_text(text, encoding="utf-8")
    os.replace(tmp, target)
    return target


def summary(notebook: Path, store: Path | None = None) -> dict:
    """What the index says about one executed notebook."""
    book = nbformat.read(notebook, as_version=4)
    title = next((line[2:].strip() for c in book.cells if c.cell_type == "markdown"
                  for line in c.source.splitlines() if line.startswith("# ")), notebook.stem)
    outputs = [o for c in book.cells if c.cell_type == "code" for o in c.get("outputs", [])]
    finding = next((o["data"]["text/markdown"] for o in outputs
                    if o.get("data", {}).get("text/markdown", "").startswith(FINDING)), None)
    image = next((o["data"]["image/png"] for o in outputs if "image/png" in o.get("data", {})), None)
    return {"name": notebook.stem, "title": title, "finding": _first_sentence(finding),
            "image": image, "runs": _runs_used(store, notebook.stem),
            "precision": _precision_lines(outputs),
            "seconds": execution_seconds(notebook)}


PRECISION = ("precision: ", "generator precision: ")  # planning.run_precision_line, synthesis_views


def _precision_lines(outputs: list) -> list:
    """What the notebook printed about the precision and kernels its numbers came from (the
    device part of the training line names this machine's threads: left out of the index)."""
    lines = []
    for o in outputs:
        for line in (o.get("text", "") if o.get("output_type") == "stream" else "").splitlines():
            if line.startswith(PRECISION):
                line = line.split("; device:")[0]
                if line not in lines:
                    lines.append(line)
    return lines


def _first_sentence(markdown: str | None) -> str:
    if not markdown:
        return "no finding in this report"
    from .findings import HEAD

    body = markdown.replace(HEAD, "", 1).split("*The paper (quoted):*")[0]
    first = next(line for line in body.strip().splitlines() if line.strip())
    return re.sub(r"^- ", "", first.strip()).replace("**", "")


def _runs_used(store: Path | None, notebook: str) -> int | None:
    if store is None or not Path(store).exists():
        return None
    with sqlite3.connect(f"file:{store}?mode=ro", uri=True) as db:
        return db.execute("SELECT COUNT(DISTINCT run_id) FROM run_sweeps WHERE sweep = ? OR study = ?",
                          (notebook, notebook)).fetchone()[0]


def _thumbnail(png_base64: str, target: Path) -> bytes:
    """The index's image of a report's main figure, THUMB_WIDTH px wide and legible: a figure too
    wide to shrink by no more than LEGIBLE_SCALE keeps its left part (its first panels, its y
    axis and its legend), cut in the blank gap between two panels, rather than becoming a strip
    of unreadable text."""
    from PIL import Image

    image = Image.open(io.BytesIO(base64.b64decode(png_base64))).convert("RGBA")
    image = image.crop((0, 0, _cut(image, round(THUMB_WIDTH / LEGIBLE_SCALE)), image.height))
    image = image.resize((THUMB_WIDTH, round(image.height * THUMB_WIDTH / image.width)), Image.LANCZOS)
    buffer = io.BytesIO()
    image.save(buffer, format="PNG")
    target.parent.mkdir(parents=True, exist_ok=True)
    target.write_bytes(buffer.getvalue())
    return buffer.getvalue()


def _cut(image, widest: int) -> int:
    """Where to cut a figure wider than `widest` px: the middle of the last blank gap (a column
    of background only) that ends before `widest` and lies past its middle; else at `widest`."""
    if image.width <= widest:
        return image.width
    import numpy as np

    pixels = np.asarray(image)[:, :widest].astype(int)
    blank = ((pixels[..., 3] == 0) | (pixels[..., :3].min(axis=2) >= 250)).all(axis=0)
    gaps = [x for x in range(widest // 2, widest) if blank[x]]
    if not gaps:
        return widest
    start = end = gaps[-1]
    while start > widest // 2 and blank[start - 1]:
        start -= 1
    return (start + end) // 2 + 1


# what the index's time is, said once on the page and in the runner's log line, so the log (which
# the README quotes) and the index cannot disagree
EXECUTION_TIME = ("its execution as papermill measured it (the executed notebook's papermill.duration) "
                  "in the pipeline run that wrote it; runs already in the store are read, not retrained, "
                  "so a notebook whose runs an earlier notebook trained takes seconds")
INTRO = ("stilts-nb reproduces Chang & Lu, “Rethinking Why Intermediate-Task Fine-Tuning Works” "
         "(Findings of EMNLP 2021): one notebook per section of the paper, run as a report. "
         f"Each notebook's time is {EXECUTION_TIME}.")


def execution_seconds(notebook: Path) -> float | None:
    """papermill's measure of one executed notebook (None when it has none: not run by papermill)."""
    return nbformat.read(notebook, as_version=4).metadata.get("papermill", {}).get("duration")


PAGE = """<!DOCTYPE html>
<html lang="en"><head><meta charset="utf-8"><title>{title}</title>
<style>
body {{ font-family: system-ui, sans-serif; max-width: 60rem; margin: 2rem auto; padding: 0 1rem; color: #222; }}
.entry {{ border-top: 1px solid #ddd; padding: 1rem 0; }}
.entry img {{ width: {width}px; max-width: 100%; height: auto; border: 1px solid #eee; }}
.meta {{ color: #666; font-size: 0.9rem; }}
</style></head><body>
<h1>{title}</h1>
<p>{intro}</p>
<p>{profile_note}</p>
{entries}
</body></html>
"""
ENTRY = """<div class="entry"><h2><a href="{link}">{title}</a></h2>
<p>{finding}</p><p class="meta">{meta}</p>{image}</div>"""


def _meta(entry: dict) -> str:
    runs = "no store" if entry["runs"] is None else f"{entry['runs']} runs"
    wall = ("execution time unknown" if entry["seconds"] is None
            else f"{entry['seconds']:.0f} s to execute (papermill)")
    return " · ".join([runs, *entry.get("precision", []), wall])


def write_index(folder: Path, home: Path, notebooks: tuple, store: Path | None = None) -> list:
    """reports/<profile>/index.html and index.md over the executed `notebooks` (names, in the
    pipeline's order) found in `folder`."""
    from .prose import NOTES

    folder = Path(folder)
    profile = folder.name
    if store is None:
        from ..sweeps.store import default_path
        store = home / default_path()
    entries = [summary(folder / f"{n}.ipynb", store) for n in notebooks if (folder / f"{n}.ipynb").exists()]
    title = f"stilts-nb reports: {profile} profile"
    blocks, lines = [], [f"# {title}", "", INTRO, "", NOTES.get(profile, ""), ""]
    for e in entries:
        thumb = folder / "thumbnails" / f"{e['name']}.png"
        image = ""
        if e["image"]:
            data = base64.b64encode(_thumbnail(e["image"], thumb)).decode()
            image = (f'<a href="{e["name"]}.html"><img src="data:image/png;base64,{data}" '
                     f'alt="main figure of {html.escape(e["title"])}"></a>')
        blocks.append(ENTRY.format(image=image, link=f"{e['name']}.html", title=html.escape(e["title"]),
                                   finding=html.escape(e["finding"]), meta=_meta(e)))
        lines += [f"## [{e['title']}]({e['name']}.html)", ""]
        if e["image"]:
            lines += [f"![main figure](thumbnails/{e['name']}.png)", ""]
        lines += [e["finding"], "", f"*{_meta(e)}* · [notebook]({e['name']}.ipynb)", ""]
    note = html.escape(NOTES.get(profile, "")).replace("*", "")  # Markdown emphasis, as plain text
    page = PAGE.format(title=html.escape(title), intro=html.escape(INTRO), profile_note=note,
                       entries="\n".join(blocks), width=THUMB_WIDTH)
    return [_write(folder / "index.html", page), _write(folder / "index.md", "\n".join(lines))]
