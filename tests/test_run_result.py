"""train() returns a RunResult; its one serialisation, to_dict(), is metrics.json and what a sweep
store records, under the keys (and in the order) of the dict train() returned before the class."""
import json
from dataclasses import replace

from stilts_nb.training import TrainConfig, train

# what metrics.json held before RunResult, in order; stored results and reports read these names
KEYS_BEFORE = [
    "score", "diverged", "diverged_at_step", "optimizer_steps", "per_epoch", "steps",
    "train_seconds", "train_cpu_seconds", "eval_seconds", "train_tokens", "padded_tokens",
    "padding_efficiency", "train_tokens_per_second", "compiled_graphs", "task", "metric", "model",
    "init", "epochs", "optimizer_steps_planned", "warmup_steps", "updates_per_epoch",
    "micro_batches_per_update", "train_examples", "eval_examples", "data_fingerprint", "precision",
    "kernel", "tf32", "attention", "compile", "batching", "max_device_batch_requested",
    "transferred", "new", "head_transferred", "head_reason", "source", "source_kind", "config",
    "device", "num_processes", "versions", "baseline", "degenerate",
]


def test_metrics_json_is_to_dict_under_the_names_of_before(sample_data, tmp_path):
    r = train(TrainConfig(task="wic", model="tiny:bert", lr=1e-3, batch_size=8, warmup_ratio=0.0,
                          seed=3, epochs=1, train_limit=16, eval_limit=16, progress=False,
                          data_dir=str(sample_data), out=str(tmp_path), save=True))
    written = json.loads((tmp_path / "metrics.json").read_text())
    assert list(written) == KEYS_BEFORE + ["checkpoint", "family"]  # saved: where to; the family
    assert written == json.loads(json.dumps(r.to_dict(), default=str))
    assert (written["score"], written["task"], written["checkpoint"]) == (r.score, "wic", str(tmp_path))
    assert written["config"]["seed"] == 3 and written["degenerate"] == r.degenerate
    assert list(replace(r, checkpoint=None).to_dict()) == KEYS_BEFORE + ["family"]  # not saved: no such key
    assert written["family"] == "bert"
