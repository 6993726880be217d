"""Hub copies are read at a pinned commit where one is known, the commit actually read is in the
data's fingerprint, and a hub copy and local files name their examples alike (issue 17, item 2);
RTE reads the authors' GLUE tsv when both layouts are there (item 6)."""
import re
from types import SimpleNamespace

import datasets

from conftest import REPO
from stilts_nb.tasks import TASKS, get_task, load, samples
from stilts_nb.tasks.base import resolved_revision
from test_hub_and_assets import HUB_ROWS

SHA = re.compile(r"^[0-9a-f]{40}$")


def test_every_hub_copy_is_pinned_and_the_readme_lists_its_commit():
    # an unpinned copy reads whatever the repository's main branch holds that day (issue 30)
    readme = (REPO / "README.md").read_text()
    hub_tasks = [task for task in TASKS.values() if task.hub]
    assert {task.name for task in hub_tasks} >= {"cola", "rte", "socialiqa", "wic", "hellaswag"}
    for task in hub_tasks:
        assert task.hub.revision and SHA.match(task.hub.revision), f"{task.name} is unpinned"
        row = next(line for line in readme.splitlines() if f"`{task.hub.id}` (`{task.hub.config}`)" in line
                   or (task.hub.config is None and f"`{task.hub.id}`:" in line)
                   or f"`{task.hub.id}` (config: the task name)" in line)
        assert f"`{task.hub.revision}`" in row, task.name


def test_tasks_json_shows_a_commit_for_every_hub_task():
    import json
    import subprocess
    import sys

    out = subprocess.run([sys.executable, "-m", "stilts_nb.cli", "tasks", "--json"], cwd=REPO,
                         capture_output=True, text=True, check=True).stdout
    rows = [json.loads(line) for line in out.splitlines() if line.strip()]
    hub_rows = [row for row in rows if row["hub"]]
    assert len(hub_rows) >= 12  # the issue counted 12 hub tasks; none may be left out
    for row in hub_rows:
        assert SHA.match(row["hub_revision"] or ""), f"{row['task']} is unpinned"


def test_the_pinned_revision_is_asked_for_and_recorded(tmp_path, monkeypatch):
    asked = {}

    def fake_load(repo, config, split, revision=None):
        asked.update(repo=repo, revision=revision)
        return datasets.Dataset.from_list([HUB_ROWS["wic"]])

    monkeypatch.setattr(datasets, "load_dataset", fake_load)
    task = get_task("wic")
    split = load(task, "dev", tmp_path)  # no WiC folder here: the hub copy
    assert asked == {"repo": "aps/super_glue", "revision": task.hub.revision}
    assert split.fingerprint.startswith(f"hub:aps/super_glue@{task.hub.revision}:")
    assert f"@{task.hub.revision}/" in split.source


def test_the_commit_datasets_read_is_found_in_its_cache_path():
    commit = "0123456789abcdef0123456789abcdef01234567"
    rows = SimpleNamespace(cache_files=[{"filename": f"/c/lighteval___siqa/default/0.0.0/{commit}/siqa-validation.arrow"}])
    assert resolved_revision(rows) == commit
    assert resolved_revision(datasets.Dataset.from_list([{"a": 1}])) is None  # in memory: unknown


def test_socialiqa_ids_agree_between_hub_rows_and_local_files(tmp_path):
    from stilts_nb.tasks import hub_split

    folder = samples.write(tmp_path / "data", {"socialiqa": (4, 3)})
    local = load(get_task("socialiqa"), "dev", folder).examples
    labels = [str(ex["label"] + 1) for ex in local]
    rows = [{"context": ex["context"], "question": ex["question"], "answerA": ex["endings"][0],
             "answerB": ex["endings"][1], "answerC": ex["endings"][2], "label": label}
            for ex, label in zip(local, labels)]
    hub = hub_split(get_task("socialiqa"), "dev", datasets.Dataset.from_list(rows)).examples
    assert [ex["id"] for ex in hub] == [ex["id"] for ex in local] == ["0", "1", "2"]
    assert hub == local


def test_rte_reads_the_glue_tsv_when_both_layouts_are_present(tmp_path):
    folder = samples.write(tmp_path / "data", {"rte": (4, 3)})
    rows = load(get_task("rte"), "dev", folder).examples
    tsv = "index\tsentence1\tsentence2\tlabel\n" + "".join(
        f"{i}\t{ex['premise']} (tsv)\t{ex['hypothesis']}\t{('entailment', 'not_entailment')[ex['label']]}\n"
        for i, ex in enumerate(rows))
    (folder / "RTE" / "dev.tsv").write_text(tsv)
    split = load(get_task("rte"), "dev", folder)
    assert split.source.endswith("dev.tsv") and split.examples[0]["premise"].endswith("(tsv)")


def test_an_unreachable_pinned_copy_names_its_commit(tmp_path, monkeypatch):
    import pytest

    from stilts_nb.errors import UserError

    def unreachable(*args, **kwargs):
        raise ConnectionError("offline")

    monkeypatch.setattr(datasets, "load_dataset", unreachable)
    with pytest.raises(UserError, match=r"could not load Rowan/hellaswag at commit [0-9a-f]{40} from the"):
        load(get_task("hellaswag"), "dev", tmp_path)
