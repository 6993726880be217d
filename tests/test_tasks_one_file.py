"""Adding a task is writing one file: a task module dropped into a folder on STILTS_TASK_PATH
(here a temporary one) is listed, previewed, trained, priced and rehearsed, with nothing else
edited."""
import json
import os
import subprocess
import sys
from dataclasses import replace

import pytest

from stilts_nb.errors import UserError
from stilts_nb.tasks import TASKS, get_task, register_from, samples

# A made-up task: is the second sentence the first one's echo? Its own layout, reader, format,
# official sizes and sample writer, as a lab would write one.
TOY = '''"""Toy (made up for a test): does sentence b repeat sentence a? 2 labels."""
from stilts_nb.tasks import readers as r
from stilts_nb.tasks.base import Layout, Sample, Task
from stilts_nb.tasks.samples import jsonl, splits, text


def read(path):
    return [{"id": str(n), "a": r.need(obj, "a", path, n), "b": r.need(obj, "b", path, n),
             "label": r.label(r.need(obj, "echo", path, n, bool), {False: 0, True: 1}, path, n)}
            for n, obj in r.jsonl(path)], [path]


def write_sample(root, size, rng):
    for split, n in splits(size):
        rows = []
        for _ in range(n):
            a, echo = text(rng), rng.random() < 0.5
            rows.append({"a": a, "b": a if echo else text(rng), "echo": echo})
        jsonl(root / "Toy" / f"{split}.jsonl", rows)


TASK = Task(
    name="toy", kind="classification", metric="accuracy", max_length=40, epochs=1,
    folder="Toy", labels=("different", "echo"),
    layouts=(Layout("toy-jsonl", {"train": "train.jsonl", "dev": "dev.jsonl"}, read, ".jsonl"),),
    format=lambda ex, sep: (ex["a"], ex["b"]),
    official_sizes=(1000, 200),
    sample=Sample(write_sample, (40, 16)),
)
'''


@pytest.fixture
def toy_path(tmp_path):
    folder = tmp_path / "my_tasks"
    folder.mkdir()
    (folder / "toy.py").write_text(TOY)
    return folder


@pytest.fixture
def toy(toy_path):
    """The toy task registered in this process for one test, then gone again."""
    names = register_from(toy_path)
    yield get_task("toy")
    for name in names:
        TASKS.pop(name, None)


def test_the_command_line_lists_a_task_from_the_task_path(toy_path, tmp_path):
    data = tmp_path / "data"
    data.mkdir()
    env = {**os.environ, "STILTS_TASK_PATH": str(toy_path)}
    # its sample, written by the registry of the process that sees the task path
    subprocess.run([sys.executable, "-c", f"from stilts_nb.tasks import samples; samples.write({str(data)!r}, "
                    "{'hellaswag': (8, 8)})"], env=env, check=True)
    proc = subprocess.run([sys.executable, "-m", "stilts_nb.cli", "tasks", "--json", "--data-dir", str(data)],
                          env=env, capture_output=True, text=True)
    rows = {r["task"]: r for r in map(json.loads, proc.stdout.splitlines())}
    assert (rows["toy"]["train"], rows["toy"]["dev"], rows["toy"]["local"]) == (40, 16, "Toy/ (toy-jsonl)")
    without = subprocess.run([sys.executable, "-m", "stilts_nb.cli", "tasks", "--json"],
                             capture_output=True, text=True, env={k: v for k, v in env.items() if k != "STILTS_TASK_PATH"})
    assert "toy" not in {json.loads(line)["task"] for line in without.stdout.splitlines()}


def test_a_dropped_in_task_is_previewed_trained_priced_and_rehearsed(toy, tmp_path, capsys, one_torch_thread):
    from stilts_nb import cli
    from stilts_nb.sweeps import dry_run, parse_sweep
    from stilts_nb.training import TrainConfig, train

    data = samples.write(tmp_path / "data", {"hellaswag": (8, 8)})       # rehearsed: its writer ran
    assert len((data / "Toy" / "train.jsonl").read_text().splitlines()) == 40

    assert cli.main(["preview", "toy", "--split", "dev", "--limit", "2", "--data-dir", str(data)]) == 0
    rows = [json.loads(line) for line in capsys.readouterr().out.splitlines()]
    assert len(rows) == 2 and set(rows[0]) == {"id", "label", "text_a", "text_b"}
    assert (rows[0]["label"] == 1) == (rows[0]["text_a"] == rows[0]["text_b"])

    m = train(TrainConfig(task="toy", model="tiny:bert", lr=1e-3, batch_size=8, warmup_ratio=0.0, seed=1,
                          epochs=1, train_limit=24, eval_limit=16, progress=False, data_dir=str(data)))
    assert m.task == "toy" and m.optimizer_steps == 3 and 0 <= m.score <= 1

    def price(data_dir):
        return dry_run(parse_sweep({"name": "toy", "model": "tiny:bert", "data_dir": str(data_dir),
                                    "epochs": 1, "intermediates": ["none"], "targets": ["toy"],
                                    "grid": {"lr": [1e-3], "batch_size": [8], "warmup_ratio": [0.0],
                                             "seed": [1]}}), store=tmp_path / "none.sqlite")

    (tmp_path / "empty").mkdir()
    here, elsewhere = price(data), price(tmp_path / "empty")   # counted files / official sizes
    assert here["total"]["runs"] == 1 and 0 < here["cost_all"]["hours"] < elsewhere["cost_all"]["hours"]


def test_a_task_without_official_sizes_is_not_priced_by_a_guess(toy, tmp_path):
    from stilts_nb.sweeps import dry_run, parse_sweep

    TASKS["toy"] = replace(toy, official_sizes=None)  # the toy fixture removes it afterwards
    (tmp_path / "empty").mkdir()
    sweep = parse_sweep({"name": "toy", "model": "tiny:bert", "data_dir": str(tmp_path / "empty"),
                         "intermediates": ["none"], "targets": ["toy"],
                         "grid": {"lr": [1e-3], "batch_size": [8], "warmup_ratio": [0.0], "seed": [1]}})
    with pytest.raises(UserError, match="task 'toy' declares no official_sizes"):
        dry_run(sweep, store=tmp_path / "none.sqlite")
