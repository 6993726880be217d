"""Bad input stops with one message naming the file and line; the CLI prints it on one line."""
import json
import subprocess
import sys

import pytest

from formats import HELLASWAG, write_jsonl
from stilts_nb.errors import UserError
from stilts_nb.tasks import get_task, load


def error_of(task, split, data_dir, **kw) -> str:
    with pytest.raises(UserError) as info:
        load(get_task(task), split, data_dir, **kw)
    return str(info.value)


def test_missing_file_names_where_it_was_expected(tmp_path):
    msg = error_of("mednli", "train", tmp_path)
    assert str(tmp_path / "MedNLI" / "mli_train_v1.jsonl") in msg


def test_missing_explicit_file(tmp_path):
    assert f"{tmp_path / 'nope.tsv'}: no such file" in error_of("cola", "train", tmp_path, files={"train": tmp_path / "nope.tsv"})


def test_malformed_json_line(tmp_path):
    path = write_jsonl(tmp_path / "HellaSwag" / "hellaswag_val.jsonl", HELLASWAG)
    path.write_text(path.read_text() + '{"ind": 9, "ctx_a": \n')
    assert f"{path}:3: not valid JSON" in error_of("hellaswag", "dev", tmp_path)


def test_missing_field(tmp_path):
    row = dict(HELLASWAG[0])
    del row["ctx_b"]
    path = write_jsonl(tmp_path / "HellaSwag" / "hellaswag_val.jsonl", [HELLASWAG[1], row])
    assert error_of("hellaswag", "dev", tmp_path) == f"{path}:2: missing field 'ctx_b'"


def test_unknown_label(tmp_path):
    write_jsonl(tmp_path / "RTE" / "val.jsonl", [{"premise": "a", "hypothesis": "b", "label": "contradiction", "idx": 0}])
    msg = error_of("rte", "dev", tmp_path)
    assert "val.jsonl:1: unknown label 'contradiction'" in msg and "'entailment'" in msg


def test_winogrande_sentence_without_blank(tmp_path):
    path = write_jsonl(tmp_path / "WinoGrande" / "dev.jsonl",
                       [{"qID": "q", "sentence": "No blank here.", "option1": "a", "option2": "b", "answer": "1"}])
    assert f"{path}:1: sentence has no blank '_'" in error_of("winogrande_m", "dev", tmp_path)


def test_labels_file_of_the_wrong_length(tmp_path):
    rows = [{"context": "c", "question": "q", "answerA": "a", "answerB": "b", "answerC": "c"}] * 3
    write_jsonl(tmp_path / "SocialIQA" / "dev.jsonl", rows)
    (tmp_path / "SocialIQA" / "dev-labels.lst").write_text("1\n2\n")
    msg = error_of("socialiqa", "dev", tmp_path)
    assert "dev-labels.lst: 2 labels for 3 examples" in msg


def test_bad_label_in_labels_file(tmp_path):
    write_jsonl(tmp_path / "SocialIQA" / "dev.jsonl", [{"context": "c", "question": "q", "answerA": "a", "answerB": "b", "answerC": "c"}])
    (tmp_path / "SocialIQA" / "dev-labels.lst").write_text("4\n")
    assert "dev-labels.lst:1: unknown label '4'" in error_of("socialiqa", "dev", tmp_path)


def test_glue_tsv_with_wrong_column_count(tmp_path):
    (tmp_path / "CoLA").mkdir()
    (tmp_path / "CoLA" / "dev.tsv").write_text("gj04\t1\t\tGood sentence.\ngj04\t1\tBroken line\n")
    assert "dev.tsv:2: expected 4 tab-separated fields, found 3" in error_of("cola", "dev", tmp_path)


def test_offline_hub_names_the_local_alternative(tmp_path):
    msg = error_of("hellaswag", "train", tmp_path)
    assert "Rowan/hellaswag" in msg and "hellaswag_train.jsonl" in msg and str(tmp_path / "HellaSwag") in msg


@pytest.mark.parametrize("name,expected", [
    ("nonsense", "unknown task 'nonsense'"),
    ("hellaswag-x", "unknown transform -x"),
    ("rte-p", "apply to multiple-choice tasks"),
    ("wic@0", "@N needs N > 0"),
    ("Wic!", "not of the form task[-transform][@N]"),
])
def test_bad_task_names(name, expected):
    with pytest.raises(UserError, match=expected.replace("[", r"\[").replace("]", r"\]")):
        get_task(name)


def test_cli_prints_one_line_and_exits_2(tmp_path):
    path = write_jsonl(tmp_path / "HellaSwag" / "hellaswag_train.jsonl", HELLASWAG)
    path.write_text(path.read_text() + "not json\n")
    proc = subprocess.run([sys.executable, "-m", "stilts_nb.cli", "preview", "hellaswag", "--data-dir", str(tmp_path)],
                          capture_output=True, text=True)
    assert proc.returncode == 2
    assert proc.stdout == ""  # nothing half-written
    assert proc.stderr.strip().splitlines() == [f"stilts-nb preview: error: {path}:3: not valid JSON (Expecting value)"]
    assert "Traceback" not in proc.stderr
    assert json.loads(json.dumps(proc.stderr))  # plain text, one line


def test_wrong_number_of_endings(tmp_path):
    row = {**HELLASWAG[0], "endings": HELLASWAG[0]["endings"][:3]}
    path = write_jsonl(tmp_path / "HellaSwag" / "hellaswag_val.jsonl", [row])
    assert error_of("hellaswag", "dev", tmp_path) == f"{path}:1: expected 4 endings (strings), found 3"
