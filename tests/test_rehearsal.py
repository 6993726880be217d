"""The paper profile rehearsed: an overlay of parameters/paper/ on tiny models and sample data."""
from __future__ import annotations

import nbformat
import pandas as pd
import pytest

from stilts_nb.errors import UserError
from stilts_nb.reporting import load_parameters, run
from stilts_nb.reporting.preflight import task_names
from stilts_nb.tasks import get_task, load, samples
from test_notebooks import SECTIONS, workspace  # noqa: F401 -- workspace, a fixture: a copy of notebooks/ and parameters/


def test_rehearsal_keeps_what_defines_the_paper():
    for name in SECTIONS:
        paper, rehearsal = load_parameters("paper", name), load_parameters("paper-rehearsal", name)
        assert set(paper) == set(rehearsal), name
        if "sweep" not in paper:
            continue
        p, r = paper["sweep"], rehearsal["sweep"]
        assert (r["targets"], r["intermediates"]) == (p["targets"], p["intermediates"]), name
        assert set(r["grid"]) == set(p["grid"]) == {"lr", "batch_size", "warmup_ratio", "seed"}
        assert r["model"] == "tiny:roberta" and r["epochs"] == 1 and r["eval_limit"] == 32
        assert r["intermediate_training"]["seed"] == p["intermediate_training"]["seed"]
        assert "max_length" not in r  # the tasks' own max lengths, as the paper's
    assert load_parameters("paper-rehearsal", "00_synthesis")["corpus"] == "squad"
    assert load_parameters("paper-rehearsal", "00_synthesis")["generator"] == "tiny:gpt2"


def test_overlay_rejects_an_unknown_parameter(workspace):
    path = workspace / "parameters" / "paper-rehearsal.yaml"
    path.write_text(path.read_text() + "  06_stability: {margni: 0.1}\n")
    with pytest.raises(UserError, match=r"paper-rehearsal.yaml: notebooks.06_stability: unknown parameter\(s\) margni"):
        load_parameters("paper-rehearsal", "06_stability", root=workspace)
    path.write_text("base: paper\nswep: {}\n")
    with pytest.raises(UserError, match="unknown key.*swep"):
        load_parameters("paper-rehearsal", "01_baselines", root=workspace)


def test_rehearsal_flag_needs_an_overlay(workspace):
    with pytest.raises(UserError, match="no rehearsal for this profile.*smoke-rehearsal.yaml"):
        run("smoke", rehearsal=True, root=workspace)


def test_sample_files_cover_every_task_of_the_paper_profile(tmp_path):
    folder = samples.write(tmp_path)
    names = set().union(*(task_names(load_parameters("paper", n)) for n in SECTIONS)) - {"synthesis"}
    assert {"hellaswag-p@10000", "mednli", "socialiqa", "winogrande_l", "cola"} <= names
    for name in sorted(names):
        for split in ("train", "dev"):
            assert load(get_task(name), split, folder, hub=False).examples, (name, split)
    assert (folder / "squad" / "train-v1.1.json").is_file()
    again = samples.write(tmp_path / "again")
    assert (again / "RTE" / "val.jsonl").read_bytes() == (folder / "RTE" / "val.jsonl").read_bytes()


# sha256 over (path, bytes) of every file `samples.write(folder)` writes, taken from the files
# written before the writers moved into the task files: the rehearsal's outputs depend on them
SAMPLE_FILES_DIGEST = "413efb875a8e7ea3b4d708251c1127af9b984fb7cd5b7ef9178d7fee6e894b2a"


def test_sample_files_keep_their_bytes(tmp_path):
    import hashlib

    samples.write(tmp_path)
    digest = hashlib.sha256()
    for path in sorted(p for p in tmp_path.rglob("*") if p.is_file()):
        digest.update(str(path.relative_to(tmp_path)).encode() + b"\0" + path.read_bytes())
    assert digest.hexdigest() == SAMPLE_FILES_DIGEST


@pytest.mark.slow
def test_paper_rehearsal_end_to_end(workspace, monkeypatch):
    monkeypatch.delenv("STILTS_DATA_DIR", raising=False)  # the rehearsal reads its own files only
    done = run("paper", root=workspace, rehearsal=True, log=lambda *a, **k: None)
    assert [p.stem for p in done] == SECTIONS
    assert all(p.parent == workspace / "reports" / "paper-rehearsal" for p in done)
    for path in done:
        book = nbformat.read(path, as_version=4)
        errors = [o for c in book.cells if c.cell_type == "code" for o in c.outputs if o.output_type == "error"]
        assert not errors, (path.name, errors)
        assert "REHEARSAL of the paper profile" in path.with_suffix(".html").read_text(), path.name
    figures = workspace / "figures" / "paper-rehearsal"

    def table(name):
        return pd.read_csv(figures / f"{name}.csv")

    fig2 = table("figure2_min_mean_best_per_pair")
    assert fig2.groupby("target")["intermediate"].nunique().to_dict() == {
        t: 4 for t in ["cola", "rte", "wic", "mednli", "socialiqa", "winogrande_xs", "winogrande_m", "winogrande_l"]}
    assert (figures / "figure2_violins_all_grid_runs_per_target.png").is_file()
    t2 = table("table2_best_of_grid_none_vs_hellaswag")
    assert {"none", "hellaswag"} <= set(t2["intermediate"]) and "83.5 / 85.6" in t2.to_csv()  # RTE quoted
    assert len(table("table3_delta_mean_best_vs_none")) == 2 * 3     # cola, hella-sh x 3 targets
    f3 = table("figure3_delta_vs_none_by_intermediate_size")
    assert len(f3) == 3 * 3                                         # 2k, 10k, 40k x 3 targets
    t4 = table("table4_zero_shot_accuracy")
    assert set(t4["intermediate"]) == {"none", "hellaswag", "hellaswag-p", "synthesis"}
