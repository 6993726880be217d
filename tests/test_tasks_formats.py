"""Loaders and formatters on small files in each official format, including the layouts that
../shared/data does not have (HellaSwag, MedNLI, GLUE RTE tsv, SuperGLUE WiC, Synthesis)."""
import json

from formats import HELLASWAG, MEDNLI, write_jsonl
from stilts_nb.tasks import examples, get_task, load


def test_hellaswag_and_its_premise_free_variant(tmp_path):
    write_jsonl(tmp_path / "HellaSwag" / "hellaswag_train.jsonl", HELLASWAG)
    row = examples(get_task("hellaswag"), "train", "</s>", tmp_path)[0]
    assert row["label"] == 3
    assert row["choices"][3] == {"text_a": HELLASWAG[0]["ctx_a"],
                                 "text_b": "then , the man continues removing the snow on his car."}
    no_premise = examples(get_task("hellaswag-p"), "train", "</s>", tmp_path)[1]
    assert no_premise["choices"][0] == {"text_a": "contain egg yolks and baking soda.", "text_b": None}
    assert get_task("hellaswag-p").max_length == 50 and get_task("hellaswag").max_length == 120


def test_mednli_three_labels(tmp_path):
    write_jsonl(tmp_path / "MedNLI" / "mli_dev_v1.jsonl", MEDNLI)
    rows = examples(get_task("mednli"), "dev", "</s>", tmp_path)
    assert [r["label"] for r in rows] == [0, 1, 2]  # entailment, contradiction, neutral
    assert rows[1]["text_b"] == " Patient has normal Cr"


def test_rte_glue_tsv_layout(tmp_path):
    (tmp_path / "RTE").mkdir()
    (tmp_path / "RTE" / "dev.tsv").write_text(
        "index\tsentence1\tsentence2\tlabel\n"
        '0\tDana Reeve, the widow of the actor "Christopher Reeve", has died.\tChristopher Reeve had an accident.\tnot_entailment\n'
        "1\tYet, we now are discovering that antibiotics are losing their effectiveness.\tBacteria is winning the war.\tentailment\n")
    rows = examples(get_task("rte"), "dev", "</s>", tmp_path)
    assert [r["label"] for r in rows] == [1, 0]
    assert rows[0]["text_a"] == 'Dana Reeve, the widow of the actor "Christopher Reeve", has died.'  # quotes kept


def test_wic_superglue_jsonl_layout(tmp_path):
    write_jsonl(tmp_path / "WiC" / "val.jsonl", [
        {"word": "place", "sentence1": "Do you want to come over to my place later?", "sentence2": "A political system with no place for the less prominent groups.",
         "idx": 0, "label": False, "start1": 31, "start2": 27, "end1": 36, "end2": 32, "version": 1.1}])
    row = examples(get_task("wic"), "dev", "[SEP]", tmp_path)[0]
    assert row["text_a"] == "place[SEP]Do you want to come over to my place later?" and row["label"] == 0


def test_winogrande_labels_file_when_answer_missing(tmp_path):
    rows = [{"qID": "a-1", "sentence": "The trophy doesn't fit into the suitcase because the _ is too large.",
             "option1": "trophy", "option2": "suitcase"}]
    write_jsonl(tmp_path / "WinoGrande" / "dev.jsonl", rows)
    (tmp_path / "WinoGrande" / "dev-labels.lst").write_text("1\n")
    row = examples(get_task("winogrande_xs"), "dev", "</s>", tmp_path)[0]
    assert row["label"] == 0
    assert row["choices"][1] == {"text_a": "The trophy doesn't fit into the suitcase because the ",
                                 "text_b": "suitcase is too large."}


def test_synthesis_build_found_by_path_or_default_folder(tmp_path):
    rows = [{"id": "s0", "ctx": "The river flows through the", "endings": ["a", "old town and", "b", "c"], "label": 1,
             "source": "gensim-enwiki", "generator": "tiny", "seed": 42, "index": 0}]
    build = write_jsonl(tmp_path / "builds" / "mine.jsonl", rows)
    write_jsonl(tmp_path / "builds" / "mine.dev.jsonl", rows)
    task = get_task("synthesis")
    explicit = load(task, "train", tmp_path, files={"train": build})
    assert explicit.examples[0]["label"] == 1 and str(build) in explicit.source
    write_jsonl(tmp_path / "Synthesis" / "synthesis.dev.jsonl", rows)
    row = examples(task, "dev", "</s>", tmp_path)[0]
    assert row["choices"][1] == {"text_a": "The river flows through the", "text_b": "old town and"}


def test_fingerprint_follows_content(tmp_path):
    path = write_jsonl(tmp_path / "MedNLI" / "mli_dev_v1.jsonl", MEDNLI)
    before = load(get_task("mednli"), "dev", tmp_path).fingerprint
    path.write_text(path.read_text().replace("normal Cr", "normal creatinine"))
    assert load(get_task("mednli"), "dev", tmp_path).fingerprint != before
    assert json.loads(path.read_text().splitlines()[1])["sentence2"].endswith("creatinine")
