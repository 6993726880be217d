"""The task registry is the one list of tasks: the task files are found, not listed, and what
other places need from a task (README's data table, the cost model's sizes, the sample files)
is read from its declaration."""
import re

import pytest

from stilts_nb.errors import UserError
from stilts_nb.tasks import SPLITS, TASKS, get_task, load, register_from, samples
from stilts_nb.tasks.content import content_id

from conftest import REPO


def readme_data_table() -> dict:
    """README's Data table: folder -> {names, hub, revision} cells."""
    text = (REPO / "README.md").read_text()
    rows = {}
    for line in text.splitlines():
        cells = [c.strip() for c in line.strip().strip("|").split("|")]
        if len(cells) == 5 and re.fullmatch(r"`[A-Za-z]+/`", cells[0]):
            rows[cells[0].strip("`/")] = {"names": re.findall(r"`([a-z_]+)`", cells[2]),
                                          "hub": cells[3], "revision": cells[4]}
    return rows


def table_problems(table: dict) -> list:
    """What README's table says differently from the registry, one line each."""
    problems = []
    for task in TASKS.values():
        row = table.get(task.folder)
        if row is None:
            problems.append(f"{task.name}: no row for its folder {task.folder}/")
            continue
        if task.name not in row["names"]:
            problems.append(f"{task.name}: not among the task names of {task.folder}/")
        hub = task.hub
        if hub is None:
            if not row["hub"].startswith("none"):
                problems.append(f"{task.name}: has no hub copy, the table names {row['hub']!r}")
            continue
        split_cell = f"`{hub.splits['train']}` / `{hub.splits['dev']}`"
        config_ok = hub.config in (None, task.name) or f"`{hub.config}`" in row["hub"]
        if f"`{hub.id}`" not in row["hub"] or split_cell not in row["hub"] or not config_ok:
            problems.append(f"{task.name}: hub {hub.id} ({hub.config}) {split_cell} is not what the table says")
        pin = f"`{hub.revision}`" if hub.revision else "unpinned"
        if not row["revision"].startswith(pin):
            problems.append(f"{task.name}: hub revision {pin}, the table says {row['revision']!r}")
    listed = {name for row in table.values() for name in row["names"]}
    problems += [f"{name}: in the table, not a registered task" for name in sorted(listed - set(TASKS))]
    return problems


def test_readme_data_table_matches_the_registry():
    assert table_problems(readme_data_table()) == []


def test_the_table_check_sees_a_stale_row():
    table = readme_data_table()
    table["WiC"] = {**table["WiC"], "revision": "unpinned"}
    table["CoLA"] = {**table["CoLA"], "names": ["cola", "cola_v2"]}
    del table["RTE"]
    assert table_problems(table) == [
        "rte: no row for its folder RTE/",
        "wic: hub revision `3de24cf8022e94f4ee4b9d55a6f539891524d646`, the table says 'unpinned'",
        "cola_v2: in the table, not a registered task"]


def test_every_task_file_is_found_without_a_list():
    import importlib

    from stilts_nb import tasks

    assert not hasattr(tasks, "MODULES")
    files = sorted(p.stem for p in (REPO / "stilts_nb" / "tasks" / "lib").glob("*.py") if p.stem != "__init__")
    for stem in files:  # every file there declares tasks, and each of them is registered
        module = importlib.import_module(f"stilts_nb.tasks.lib.{stem}")
        declared = getattr(module, "TASKS", None) or [module.TASK]
        assert all(TASKS[task.name] is task for task in declared), stem
    assert {"rte", "wic", "cola", "mednli", "hellaswag", "socialiqa", "synthesis",
            "winogrande_xs", "winogrande_xl"} <= set(TASKS)


def test_every_task_declares_its_official_sizes():
    for task in TASKS.values():
        train, dev = task.official_sizes
        assert 0 < train and 0 < dev, task.name
    assert get_task("winogrande_m").official_sizes == (2558, 1267)
    assert get_task("hellaswag-p@2000").official_sizes == (39905, 10042)  # variants keep them


def test_new_fields_are_not_part_of_the_content_id():
    """Sizes, sample writer and hub test row decide no data: no run id may move with them."""
    from dataclasses import replace

    wic = get_task("wic")
    other = replace(wic, official_sizes=(1, 1), sample=None,
                    hub=replace(wic.hub, test_row={}, test_inputs=()))
    assert content_id(other) == content_id(wic)


def test_every_task_with_files_writes_samples_its_reader_reads(tmp_path):
    folder = samples.write(tmp_path, {"hellaswag": (40, 16)})
    for task in TASKS.values():
        if task.sample is None:
            assert task.name == "synthesis"  # built from the sample SQuAD corpus instead
            continue
        if task.name in ("winogrande_s", "winogrande_xl"):  # the sample has XS < M < L only
            continue
        sizes = [len(load(task, split, folder, hub=False).examples) for split in SPLITS]
        assert min(sizes) > 0, task.name
    assert (folder / "squad" / "train-v1.1.json").is_file()


def test_a_misspelt_sample_size_is_refused(tmp_path):
    with pytest.raises(UserError, match="no sample writer named rtee"):
        samples.write(tmp_path, {"rtee": (4, 4)})


def test_a_task_name_declared_twice_is_refused(tmp_path):
    (tmp_path / "again.py").write_text("from stilts_nb.tasks import get_task\nTASK = get_task('rte')\n")
    with pytest.raises(UserError, match=r"again.py: task name 'rte' is declared already, in .*rte.py"):
        register_from(tmp_path)
    assert TASKS["rte"].folder == "RTE"


def test_a_task_path_that_is_not_a_folder_is_refused(tmp_path):
    with pytest.raises(UserError, match="STILTS_TASK_PATH: .*nowhere is not a folder"):
        register_from(tmp_path / "nowhere")
