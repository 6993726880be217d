"""The reports as a reader sees them: one smoke run of every notebook (shared by these tests),
its figures inside the notebooks and their HTML, nothing of the build machine in them, an index,
a real browser, and a live Jupyter server executing a notebook without papermill."""
import json
import os
import re
import shutil
import socket
import subprocess
import sys
import time
import urllib.request
import uuid

import nbformat
import pytest

from conftest import REPO
from report_checks import FIGURE_CELL, LEAKS, check_report, outputs
from stilts_nb.analysis import verdicts
from stilts_nb.reporting import run
from test_notebooks import SECTIONS

pytestmark = pytest.mark.slow
CHROMIUM = shutil.which("chromium") or "/usr/bin/chromium"


@pytest.fixture(scope="session")
def smoke(tmp_path_factory, shared_data):
    """A copy of notebooks/ and parameters/, run once with the smoke profile."""
    root = tmp_path_factory.mktemp("smoke")
    for folder in ("notebooks", "parameters"):
        shutil.copytree(REPO / folder, root / folder)
    with pytest.MonkeyPatch.context() as mp:
        mp.setenv("STILTS_CACHE", str(root / "cache"))
        done = run("smoke", root=root, log=lambda *a, **k: None)
    assert [p.stem for p in done] == SECTIONS
    return root


def test_smoke_profile_end_to_end(smoke):
    from PIL import Image

    figures = smoke / "figures" / "smoke"
    pngs = sorted(figures.glob("*.png"))
    assert {p.stem for p in pngs} >= {"figure2_violins_all_grid_runs_per_target",
                                      "figure3_improvement_over_none_by_intermediate_size",
                                      "target_size_training_loss_curves", "stability_expected_max_performance"}
    for png in pngs:
        assert Image.open(png).size[0] > 300 and png.with_suffix(".pdf").exists()
    rows = lambda name: len((figures / f"{name}.csv").read_text().strip().splitlines()) - 1  # noqa: E731
    assert rows("figure2_min_mean_best_per_pair") == 3         # rte x (none, winogrande_xs, synthesis)
    assert rows("table2_best_of_grid_none_vs_hellaswag") == 3  # none, hellaswag (marked), synthesis
    assert rows("table3_delta_mean_best_vs_none") == 1          # cola vs none on rte
    assert rows("target_size_delta_vs_none_and_degenerate_runs") == 2
    assert rows("figure3_delta_vs_none_by_intermediate_size") == 2
    assert rows("table4_zero_shot_accuracy") == 3               # none, winogrande_xs (in domain), synthesis
    assert rows("stability_paired_tests_vs_none") == 2
    assert rows("figure2_verdicts_vs_none") == 2 and rows("figure2_verdicts_paper_claim_vs_reference") == 1
    assert rows("figure2_verdicts_vs_none_units") == 4           # 2 comparisons x 2 configurations
    assert rows("table4_zero_shot_versus_none_paired") == 2
    table2 = (figures / "table2_best_of_grid_none_vs_hellaswag.csv").read_text()
    assert "not available offline" in table2 and "83.5 / 85.6" in table2
    table4 = (figures / "table4_zero_shot_accuracy.csv").read_text()
    assert ",52.3" in table4 and ",35.0" not in table4  # WinoGrande's quoted column, not SocialIQA's
    meta = json.loads((smoke / "runs" / "smoke" / "synthesis" / "synthesis.meta.json").read_text())
    assert meta["counts"]["train"] == 40
    book = nbformat.read(smoke / "reports" / "smoke" / "00_synthesis.ipynb", as_version=4)
    html = "".join(o.get("data", {}).get("text/html", "") for o in outputs(book, lambda c: "synthesis_examples" in c.source))
    assert html.count("✓") == 3  # one real ending marked per shown example (show: 3)
    # one default store: `status` in the same folder, without flags, shows what the run trained
    env = {**os.environ, "PYTHONPATH": str(REPO)}
    env.pop("STILTS_STORE", None)
    status = subprocess.run([sys.executable, "-m", "stilts_nb.cli", "status"], cwd=smoke, env=env,
                            capture_output=True, text=True)
    assert status.returncode == 0 and status.stdout.startswith("store runs/stilts.sqlite: "), status.stderr
    assert " 0 done" not in status.stdout


@pytest.mark.parametrize("name", SECTIONS)
def test_report_shows_its_figures_and_nothing_of_the_machine(smoke, name):
    path = smoke / "reports" / "smoke" / f"{name}.ipynb"
    book = check_report(path)
    assert str(smoke) not in path.read_text() + path.with_suffix(".html").read_text()
    injected = next(c for c in book.cells if "injected-parameters" in c.metadata.get("tags", []))
    assert injected.source.splitlines()[1:] == ['profile = "smoke"', "overrides = {}"]
    findings = [o for o in outputs(book) if o.get("data", {}).get("text/markdown", "").startswith("**Finding")]
    assert findings, name
    for o in findings:
        assert "(quoted)" in o["data"]["text/markdown"]


def test_findings_lead_with_the_verdict_that_matters(smoke):
    book = nbformat.read(smoke / "reports" / "smoke" / "01_baselines.ipynb", as_version=4)
    text = "".join(o["data"]["text/markdown"] for o in outputs(book) if "text/markdown" in o.get("data", {}))
    # the report leads with the paper's claim (the simple baseline against the reasoning task);
    # a tiny random model learns neither intermediate on 32 examples, so that is what it says
    assert "**Headline** (the paper's claim, Synthesis against WinoGrande-XS" in text
    assert "Synthesis vs WinoGrande-XS on RTE: intermediate not learned" in text
    assert f"**Headline** ({verdicts.HEADLINE_RULE})" in text  # then each arm against None, by its rule
    index = (smoke / "reports" / "smoke" / "index.md").read_text()
    assert "Headline (the paper's claim, Synthesis against WinoGrande-XS" in index


def test_zero_shot_scores_are_read_back_from_the_store(smoke, monkeypatch):
    import pandas as pd

    from stilts_nb.reporting import planning, zero_shot_table
    from stilts_nb.sweeps import results

    store = smoke / "runs" / "stilts.sqlite"
    assert (results(store)["role"] == "zero_shot").sum() >= 4  # none, synthesis; premise checks
    monkeypatch.chdir(smoke)  # the output folder, where the kernels ran
    spec = planning.notebook_spec("smoke", "01_baselines")
    ckpts = zero_shot_table.checkpoints(spec, str(store), study="05_zero_shot")
    monkeypatch.setattr(zero_shot_table, "_evaluate", lambda *a, **k: pytest.fail("recomputed a stored score"))
    scores = zero_shot_table.scores(spec, ckpts, str(store), ["winogrande_xs"], [12, 42, 87], 32, study="05_zero_shot")
    table = pd.read_csv(smoke / "figures" / "smoke" / "table4_zero_shot_accuracy.csv")
    ours = "winogrande_xs ours (mean ± SD over 1 checkpoint; None: over 3 random heads)"  # the ± says what it is
    assert list(zero_shot_table.table4(scores, ["winogrande_xs"])[ours]) == list(table[ours])


def test_index_lists_every_notebook(smoke):
    folder = smoke / "reports" / "smoke"
    page, md = (folder / "index.html").read_text(), (folder / "index.md").read_text()
    for name in SECTIONS:
        assert f'href="{name}.html"' in page and f"({name}.html)" in md
    assert page.count('<img src="data:image/png;base64,') == 6  # every notebook with a figure
    assert "runs ·" in page and "s to execute (papermill)" in page and not LEAKS.search(page + md)


def _chromium(url: str, tmp_path, *extra) -> str:
    flags = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
             "--disable-background-networking", "--disable-component-update", "--disable-sync",
             f"--user-data-dir={tmp_path / f'profile-{uuid.uuid4().hex[:8]}'}", "--virtual-time-budget=5000"]
    proc = subprocess.run([CHROMIUM, *flags, *extra, url], capture_output=True, text=True, timeout=120)
    assert proc.returncode == 0, proc.stderr[-2000:]
    return proc.stdout


IMAGE_PROBE = """<script>window.addEventListener("load", () => {
  const sizes = [...document.images].map(i => [i.complete, i.naturalWidth, i.naturalHeight]);
  const out = document.createElement("pre"); out.id = "image-probe";
  out.textContent = JSON.stringify(sizes); document.body.appendChild(out);
});</script>"""


@pytest.mark.parametrize("page", ["index", "01_baselines"])
def test_chromium_renders_every_image(smoke, tmp_path, page):
    if not os.path.exists(CHROMIUM):
        pytest.fail("chromium is missing: `apt-get install -y chromium` (.ci/run does)")
    source = smoke / "reports" / "smoke" / f"{page}.html"
    probe = source.with_name(f"probe-{page}.html")  # beside it, so relative links resolve
    probe.write_text(source.read_text().replace("</body>", IMAGE_PROBE + "</body>"))
    dom = _chromium(probe.as_uri(), tmp_path, "--dump-dom")
    sizes = json.loads(re.search(r'<pre id="image-probe">(.*?)</pre>', dom, re.S).group(1))
    assert sizes and all(ok and w > 0 and h > 0 for ok, w, h in sizes), sizes
    shot = tmp_path / f"{page}.png"
    _chromium(source.as_uri(), tmp_path, f"--screenshot={shot}", "--window-size=1280,1600")
    from PIL import Image
    assert Image.open(shot).size == (1280, 1600)
    copy_to = os.environ.get("STILTS_SCREENSHOTS")  # to look at them after the run
    if copy_to:
        shutil.copy(shot, copy_to)


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def test_notebook_runs_in_a_jupyter_server_on_its_defaults(smoke, tmp_path):
    """As JupyterLab runs it: no papermill, no injected parameters (so the smoke profile), cells
    sent one by one to a kernel that a local Jupyter server started."""
    import websocket

    port, token = _free_port(), uuid.uuid4().hex
    env = {**os.environ, "JUPYTER_RUNTIME_DIR": str(tmp_path / "runtime"), "JUPYTER_CONFIG_DIR": str(tmp_path / "config"),
           "PYTHONPATH": os.pathsep.join([str(REPO), os.environ.get("PYTHONPATH", "")]),
           "STILTS_CACHE": str(smoke / "cache")}
    server = subprocess.Popen([sys.executable, "-m", "jupyter_server", f"--port={port}", "--ip=127.0.0.1",
                               "--no-browser", "--allow-root", f"--IdentityProvider.token={token}",
                               f"--ServerApp.root_dir={smoke / 'notebooks'}"],
                              env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    base, auth = f"127.0.0.1:{port}", {"Authorization": f"token {token}"}
    try:
        for _ in range(120):
            try:
                urllib.request.urlopen(urllib.request.Request(f"http://{base}/api/status", headers=auth), timeout=2)
                break
            except OSError:
                time.sleep(0.5)
        # a session, as JupyterLab opens a notebook: its kernel runs in the notebook's folder
        session = json.dumps({"path": "04_intermediate_size.ipynb", "type": "notebook",
                              "kernel": {"name": "python3"}}).encode()
        request = urllib.request.Request(f"http://{base}/api/sessions", data=session,
                                         headers={**auth, "Content-Type": "application/json"}, method="POST")
        kernel = json.loads(urllib.request.urlopen(request, timeout=60).read())["kernel"]["id"]
        ws = websocket.create_connection(f"ws://{base}/api/kernels/{kernel}/channels?token={token}", timeout=300)
        book = nbformat.read(smoke / "notebooks" / "04_intermediate_size.ipynb", as_version=4)
        outputs = []
        for cell in [c for c in book.cells if c.cell_type == "code"]:
            outputs.append(_execute(ws, cell.source))
        ws.close()
    finally:
        server.terminate()
        server.wait(timeout=30)
    errors = [o["content"] for cell in outputs for o in cell if o["msg_type"] == "error"]
    assert not errors, [(e["ename"], e["evalue"]) for e in errors]
    assert not [o for cell in outputs for o in cell if o["content"].get("name") == "stderr"]
    figure_cells = [i for i, c in enumerate(c for c in book.cells if c.cell_type == "code") if FIGURE_CELL in c.source]
    assert figure_cells and all(any("image/png" in o["content"].get("data", {}) for o in outputs[i])
                                for i in figure_cells)


def _execute(ws, code: str) -> list:
    msg_id = uuid.uuid4().hex
    ws.send(json.dumps({"header": {"msg_id": msg_id, "msg_type": "execute_request", "username": "test",
                                   "session": "test", "version": "5.3"}, "parent_header": {}, "metadata": {},
                        "content": {"code": code, "silent": False, "store_history": True,
                                    "user_expressions": {}, "allow_stdin": False}, "channel": "shell"}))
    got = []
    while True:
        msg = json.loads(ws.recv())
        if msg.get("parent_header", {}).get("msg_id") != msg_id:
            continue
        if msg["msg_type"] in ("display_data", "execute_result", "error", "stream"):
            got.append(msg)
        if msg["msg_type"] == "status" and msg["content"]["execution_state"] == "idle":
            return got
