"""Every careless input is refused before any compute: exit 2, one stderr line, no traceback,
nothing written. One table; each row is (argv, what the line must say); files come from setup."""
import gzip
import os

import pytest

from stilts_nb.cli import main
from test_sweeps_common import write_rte, write_sweep

TRAIN = ["train", "--task", "rte", "--model", "tiny:roberta", "--lr", "1e-4", "--batch-size", "8",
         "--warmup-ratio", "0", "--seed", "1", "--data-dir", "data", "--out", "out"]


def with_(argv, **flags):
    """TRAIN with some flags replaced (--lr=...), added, or removed (value None)."""
    out, args = [], list(argv)
    while args:
        token = args.pop(0)
        key = token[2:].replace("-", "_") if token.startswith("--") else None
        if key in flags:
            value = flags.pop(key)
            args.pop(0)
            if value is not None:
                out += [token, value]
        else:
            out.append(token)
    for key, value in flags.items():
        out += [f"--{key.replace('_', '-')}", value]
    return out


CASES = {
    "negative lr": (with_(TRAIN, lr="-1e-5"), "learning rate must be a positive number"),
    "negative warmup": (with_(TRAIN, warmup_ratio="-0.1"), "warmup"),
    "out is a file": (with_(TRAIN, out="afile/run"), "afile is a file, not a folder"),
    "unknown tiny model": (with_(TRAIN, model="tiny:gpt"), "the tiny: models are tiny:bert"),
    "missing model folder": (with_(TRAIN, model="./no-such-model"), "no such model folder"),
    "hub model not reachable": (with_(TRAIN, model="someone/no-such-model"), "cannot load its config"),
    "missing checkpoint": (with_(TRAIN, init="nockpt"), "--init nockpt: not a checkpoint folder"),
    "gzip train file": (with_(TRAIN, train_file="data/train.jsonl.gz"), "gzip-compressed"),
    "non-UTF-8 train file": (with_(TRAIN, train_file="data/latin1.jsonl"), "not UTF-8 text"),
    "folder as train file": (with_(TRAIN, train_file="data/RTE"), "is a folder"),
    "empty train file": (with_(TRAIN, train_file="data/empty.jsonl"), "no examples in this file"),
    "missing Synthesis build": (with_(TRAIN, task="synthesis"), "stilts-nb synthesize"),
    "missing data dir": (with_(TRAIN, data_dir="nodata"), "--data-dir nodata: does not exist"),
    "repeated transform": (["preview", "hellaswag-p-p", "--data-dir", "data"], "a transform is repeated"),
    "unknown transform": (["preview", "hellaswag-x", "--data-dir", "data"], "unknown transform -x"),
    "tasks, missing data dir": (["tasks", "--data-dir", "nodata"], "nodata: does not exist"),
    "results on a text file": (["results", "--store", "notes.txt"], "not a stilts-nb store"),
    "status on a folder": (["status", "--store", "data"], "is a folder"),
    "status, store folder missing": (["status", "--store", "gone/s.sqlite"], "the folder gone does not exist"),
    "sweep file gzip": (["sweep", "sweep.yaml.gz"], "gzip-compressed"),
    "sweep file not UTF-8": (["sweep", "latin1.yaml"], "latin1.yaml:2: not UTF-8 text"),
    "sweep file is a folder": (["sweep", "data"], "is a folder"),
    "sweep, bad model": (["sweep", "badmodel.yaml", "--store", "s.sqlite"], "no such tiny model"),
    "sweep, store is a folder": (["sweep", "sweep.yaml", "--store", "data"], "--store data: is a folder"),
    "sweep, ray missing": (["sweep", "sweep.yaml", "--store", "s.sqlite", "--executor", "ray"],
                           "Ray is not installed"),
    "synthesize into a folder": (["synthesize", "--corpus", "gensim-enwiki", "--generator", "tiny:causal-lm",
                                  "--n", "4", "--out", "data"], "--out data: is a folder"),
    "synthesize, bad generator": (["synthesize", "--corpus", "gensim-enwiki", "--generator", "tiny:gpt",
                                   "--n", "4", "--out", "syn.jsonl"], "no such tiny model"),
    "run, out-dir is a file": (["run", "--profile", "smoke", "--out-dir", "afile", "--project", "PROJECT"],
                               "afile is a file"),
    "run, no project here": (["run", "--profile", "smoke"], "no notebooks/ and parameters/ here"),
    "argparse: bad choice": (["train", "--precision", "fp8"], "invalid choice"),
    "argparse: unknown command": (["trian"], "invalid choice"),
}


@pytest.fixture
def work(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    write_rte(tmp_path / "data")
    (tmp_path / "afile").write_text("x")
    (tmp_path / "notes.txt").write_text("my notes\n")
    (tmp_path / "nockpt").mkdir()
    with gzip.open(tmp_path / "data" / "train.jsonl.gz", "wt") as fh:
        fh.write((tmp_path / "data" / "RTE" / "train.jsonl").read_text())
    (tmp_path / "data" / "latin1.jsonl").write_bytes(
        b'{"premise": "caf\xe9", "hypothesis": "x", "label": "entailment"}\n')
    (tmp_path / "data" / "empty.jsonl").write_text("\n")
    write_sweep(tmp_path / "sweep.yaml", tmp_path / "data")
    write_sweep(tmp_path / "badmodel.yaml", tmp_path / "data", model="tiny:nope")
    with gzip.open(tmp_path / "sweep.yaml.gz", "wt") as fh:
        fh.write((tmp_path / "sweep.yaml").read_text())
    (tmp_path / "latin1.yaml").write_bytes(b"name: t\ndescription: caf\xe9\n")
    return tmp_path


def _snapshot(root):
    return sorted((str(p.relative_to(root)), p.stat().st_size) for p in root.rglob("*"))


@pytest.mark.parametrize("case", list(CASES))
def test_bad_input_is_one_line_exit_2_nothing_written(case, work, capsys, monkeypatch):
    from conftest import REPO
    from stilts_nb import checks

    argv, says = CASES[case]
    argv = [str(REPO) if a == "PROJECT" else a for a in argv]
    if case == "sweep, ray missing":
        monkeypatch.setattr(checks, "find_spec", lambda name: None)
    before = _snapshot(work)
    try:
        rc = main(argv)
    except SystemExit as exit_:
        rc = exit_.code
    err = capsys.readouterr().err
    assert rc == 2, (case, err)
    assert err.count("\n") == 1 and err.endswith("\n"), (case, err)
    assert says in err and "Traceback" not in err, (case, err)
    assert _snapshot(work) == before, case


def test_unwritable_output_folder_is_refused(work, capsys):
    if os.geteuid() == 0:  # root ignores permission bits; /proc refuses files even to root
        ro = "/proc/stilts-nb-test"
    else:
        ro = str(work / "ro" / "run")
        (work / "ro").mkdir()
        (work / "ro").chmod(0o555)
    assert main(with_(TRAIN, out=ro)) == 2
    assert "cannot write into" in capsys.readouterr().err


def test_variant_names_have_one_canonical_order():
    from stilts_nb.tasks import get_task

    assert get_task("hellaswag-sh-p@20").name == get_task("hellaswag-p-sh@20").name == "hellaswag-p-sh@20"


def test_tasks_table_marks_a_broken_task_and_still_shows_the_others(work, capsys):
    (work / "data" / "RTE" / "val.jsonl").write_text('{"premise": "x"}\n')
    assert main(["tasks", "--data-dir", "data"]) == 1
    out = capsys.readouterr().out.splitlines()
    rte = next(line for line in out if line.startswith("rte "))
    assert rte.split()[4:6] == ["40", "BROKEN"]                      # train read, dev broken
    assert any(line.startswith("wic ") for line in out)               # the table goes on
    assert [line for line in out if line.startswith("BROKEN: ")] == \
        ["BROKEN: data/RTE/val.jsonl:1: missing field 'hypothesis'"]
