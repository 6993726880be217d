"""Replicated intermediates: `intermediate_training.seed` as a list trains one checkpoint per seed,
and the target seeds are dealt to the checkpoints in contiguous blocks (nested pairing), so each
checkpoint has its own target configurations and None has one at every configuration."""
import itertools

import pytest

from stilts_nb.cli import main
from stilts_nb.errors import UserError
from stilts_nb.reporting import planning, what_was_run
from stilts_nb.sweeps import checkpoints, expand, load_sweep, parse_sweep, seed_blocks
from test_sweeps_common import FakeTrain, sweep_dict, write_sweep

SIX = [1, 2, 3, 4, 5, 6]


def replicated(data_dir, inter_seeds, target_seeds, **over) -> dict:
    """None and an RTE intermediate before RTE, two learning rates x `target_seeds`."""
    d = sweep_dict(data_dir, intermediates=["none", "rte"], **over)
    d["grid"] = {**d["grid"], "lr": [1e-4, 2e-4], "seed": list(target_seeds)}
    d["intermediate_training"] = {**d["intermediate_training"], "seed": inter_seeds}
    return d


def test_seed_blocks_are_contiguous_and_in_order():
    assert seed_blocks(SIX, [7, 8, 9]) == {7: [1, 2], 8: [3, 4], 9: [5, 6]}
    assert seed_blocks(SIX, [9, 7]) == {9: [1, 2, 3], 7: [4, 5, 6]}  # the order written, not sorted
    assert seed_blocks([12, 42], [42]) == {42: [12, 42]}


def test_three_checkpoints_each_take_their_block_of_six_target_seeds(rte_dir):
    plan = expand(parse_sweep(replicated(rte_dir, [7, 8, 9], SIX), "r.yaml"))
    inters = [r for r in plan.runs if r.role == "intermediate"]
    assert [r.config["seed"] for r in inters] == [7, 8, 9] and len({r.id for r in inters}) == 3
    assert all(r.config["save"] for r in inters)  # each its own checkpoint
    after = [r for r in plan.runs if r.role == "target" and r.intermediate == "rte"]
    for inter, block in zip(inters, ([1, 2], [3, 4], [5, 6])):
        mine = [r for r in after if r.init_id == inter.id]
        # its block at every other grid value (both learning rates), nothing else
        assert sorted((r.config["lr"], r.config["seed"]) for r in mine) == sorted(itertools.product([1e-4, 2e-4], block))
        assert {r.intermediate_seed for r in mine} == {inter.config["seed"]}
        assert all(r.identity["init"] == inter.id for r in mine)
    # across the checkpoints every configuration once; None has all of them itself
    grid = sorted(itertools.product([1e-4, 2e-4], SIX))
    assert sorted((r.config["lr"], r.config["seed"]) for r in after) == grid
    none = [r for r in plan.runs if r.intermediate == "none"]
    assert sorted((r.config["lr"], r.config["seed"]) for r in none) == grid
    assert all(r.init_id is None and r.intermediate_seed is None for r in none)
    assert len(plan.studies["t"]) == 24 == len(set(plan.studies["t"]))


def test_one_seed_as_int_or_one_element_list_plans_the_same_runs(rte_dir):
    def plan(seed):
        p = expand(parse_sweep(replicated(rte_dir, seed, [12, 42]), "one.yaml"))
        return [(r.id, r.role, r.init_id, r.config["seed"]) for r in p.runs], p.studies

    as_int, as_list = plan(42), plan([42])
    assert as_int == as_list
    runs, _ = as_int
    (inter,) = [r for r in runs if r[1] == "intermediate"]
    # today's design: the one checkpoint is the start of every target configuration of its arm
    assert sum(r[2] == inter[0] for r in runs) == 4 and inter[3] == 42


def test_a_count_of_target_seeds_not_a_multiple_is_refused_in_one_line(tmp_path, rte_dir, capsys):
    path = tmp_path / "bad.yaml"
    write_sweep(path, rte_dir, **{k: v for k, v in replicated(rte_dir, [7, 8, 9], [1, 2, 3, 4]).items()
                                  if k in ("intermediates", "grid", "intermediate_training")})
    with pytest.raises(UserError) as err:
        load_sweep(path)
    text = str(err.value)
    assert str(path) in text and "'intermediate_training.seed'" in text and "'grid.seed' has 4" in text
    assert "not a multiple of 3" in text
    assert main(["sweep", str(path), "--dry-run", "--store", str(tmp_path / "st.sqlite")]) == 2
    out = capsys.readouterr()
    assert out.err.count("\n") == 1 and "not a multiple of 3" in out.err and "Traceback" not in out.err


def test_a_seed_list_in_task_settings_is_checked_against_the_grid_too(rte_dir):
    d = replicated(rte_dir, 42, [1, 2, 3], task_settings={"rte": {"seed": [5, 6]}})
    with pytest.raises(UserError, match=r"'task_settings.rte.seed': 2 intermediate seeds \[5, 6\]"):
        parse_sweep(d, "ts.yaml")
    d["task_settings"]["rte"]["seed"] = [5, 6, 7]
    plan = expand(parse_sweep(d, "ts.yaml"))
    assert [r.config["seed"] for r in plan.runs if r.role == "intermediate"] == [5, 6, 7]


@pytest.mark.parametrize("seeds", [[7, 7], [], [-1, 2], [1.5], "seven", True, [7, None]],
                         ids=["repeated", "empty", "negative", "float", "text", "bool", "null"])
def test_bad_intermediate_seeds_are_refused(rte_dir, seeds):
    with pytest.raises(UserError) as err:
        parse_sweep(replicated(rte_dir, seeds, [1, 2]), "s.yaml")
    assert str(err.value).startswith("s.yaml: 'intermediate_training.seed': expected a non-negative "
                                     "integer, or a non-empty list of distinct ones")


def test_a_sweep_file_reads_both_forms(tmp_path, rte_dir):
    for text, want in (("seed: 42", [42]), ("seed: [42]", [42]), ("seed: [3, 1, 2]", [3, 1, 2])):
        path = tmp_path / "f.yaml"
        path.write_text(f"model: tiny:bert\ndata_dir: {rte_dir}\nintermediates: [none, rte]\ntargets: [rte]\n"
                        f"grid: {{seed: [10, 11, 12, 13, 14, 15]}}\nintermediate_training: {{{text}}}\n")
        sweep = load_sweep(path)
        assert sweep.intermediate_seeds(_task("rte")) == want


def _task(name):
    from stilts_nb.tasks import get_task

    return get_task(name)


def test_notebook_parameters_read_both_forms():
    """A profile's `sweep:` goes through resolve_sweep and parse_sweep, as Section.train does."""
    section = planning.section("smoke", "02_intermediate_ablation")
    assert section.sweep["intermediate_training"]["seed"] == 42  # the committed file: one seed
    spec = {**section.sweep, "intermediate_training": {**section.sweep["intermediate_training"], "seed": [42, 43]}}
    over = planning.section("smoke", "02_intermediate_ablation", {"sweep": spec})
    sweep = parse_sweep({"name": "nb", **over.sweep}, "nb parameters")
    assert sweep.intermediate_seeds(_task("cola")) == [42, 43]
    bad = {**spec, "intermediate_training": {**spec["intermediate_training"], "seed": [1, 2, 3]}}
    with pytest.raises(UserError, match=r"^nb parameters: 'intermediate_training.seed': 3 intermediate seeds"):
        parse_sweep({"name": "nb", **bad}, "nb parameters")


class Floored(FakeTrain):
    """The fake engine, with a floor: a run scoring at or below 0.52 is degenerate. Intermediates
    train at lr 1e-4, so seed 7 scores 0.517 (at its floor) and seed 30 scores 0.54."""

    def __call__(self, config) -> dict:
        out = super().__call__(config)
        return {**out, "baseline": 0.52, "degenerate": out["score"] <= 0.52}


@pytest.fixture
def floored(monkeypatch):
    fake = Floored()
    monkeypatch.setattr("stilts_nb.sweeps.executors.train_run", fake)
    return fake


def test_the_run_table_names_each_target_runs_checkpoint(rte_dir, tmp_path, floored):
    store = str(tmp_path / "runs.sqlite")
    spec = {k: v for k, v in replicated(rte_dir, [7, 30], [12, 42]).items() if k != "name"}
    runs, plan = planning.sweep_runs(spec, store, "local", "nb")
    inters = {r.config["seed"]: r.id for r in plan.runs if r.role == "intermediate"}
    after = runs[runs["intermediate"] == "rte"].set_index("seed")
    assert list(after.loc[[12], "intermediate_seed"]) == [7, 7]  # two learning rates each
    assert list(after.loc[[42], "intermediate_seed"]) == [30, 30]
    assert set(after.loc[12, "init_id"]) == {inters[7]} and set(after.loc[42, "init_id"]) == {inters[30]}
    none = runs[runs["intermediate"] == "none"]
    assert len(none) == 4 and none["intermediate_seed"].isna().all() and none["init_id"].isna().all()

    table = checkpoints(store, "RTE")
    assert list(table["seed"]) == [7, 30] and list(table["init_id"]) == [inters[7], inters[30]]
    assert list(table["floor"]) == [0.52, 0.52] and list(table["degenerate"]) == [True, False]
    assert list(table["score"]) == pytest.approx([0.517, 0.54]) and list(table["targets"]) == [2, 2]
    assert list(checkpoints(store, ids=[inters[30]])["seed"]) == [30]
    section = planning.Section("smoke", "nb", {}, spec, store=store, executor="local", figures=tmp_path)
    section.train()  # everything is in the store: nothing is trained again
    assert len(floored.calls) == 2 + 8 and section.checkpoints().equals(table)

    # the report's opening says how the intermediate was replicated
    rows = what_was_run.settings_table(spec, runs, planning.intermediate_runs(plan, store), {})["value"]
    assert rows["intermediate checkpoints"] == ("2 intermediate checkpoints per task (seeds 7, 30), each "
                                                "fine-tuned on its own block of target seeds (12; 42)")
    task_rows = what_was_run.tasks_table(spec, runs, planning.intermediate_runs(plan, store), plan)
    (hp,) = task_rows.loc[task_rows["role"] == "intermediate", "hyperparameters"]
    assert hp == "learning rate 1e-4, batch 8, warmup 0.1, seeds 7, 30"


def test_the_dry_run_counts_and_prices_each_checkpoint(rte_dir, tmp_path, capsys):
    from stilts_nb.sweeps import dry_run, format_dry_run

    one, three = (dry_run(parse_sweep(replicated(rte_dir, seeds, SIX), "d.yaml"), tmp_path / "no.sqlite")
                  for seeds in (42, [7, 8, 9]))
    assert (one["intermediates"]["runs"], three["intermediates"]["runs"]) == (1, 3)
    assert one["targets"]["runs"] == three["targets"]["runs"] == 24  # nested: the target budget is kept
    assert three["total"]["new"] == 27
    # the price grows by exactly the two extra intermediate runs (each as dear as the first)
    from stilts_nb.sweeps.cost import estimate

    plan = expand(parse_sweep(replicated(rte_dir, [7, 8, 9], SIX), "d.yaml"))
    inters = [r for r in plan.runs if r.role == "intermediate"]
    extra = three["cost_all"]["hours"] - one["cost_all"]["hours"]
    assert extra > 0 and extra == pytest.approx(estimate(plan, inters[1:])["hours"])
    assert "intermediates" in format_dry_run(three) and not (tmp_path / "no.sqlite").exists()


def test_the_opening_states_one_checkpoint_or_several_per_task():
    spec = {"intermediates": ["none", "cola", "synthesis"], "targets": ["wic"],
            "grid": {"lr": [1e-5], "seed": SIX}, "intermediate_training": {"seed": 42}}
    assert what_was_run.replication_text(spec) == (
        "one intermediate checkpoint per task (seed 42), the start of every target configuration after it")
    spec["intermediate_training"]["seed"] = [7, 8, 9]
    assert what_was_run.replication_text(spec) == (
        "3 intermediate checkpoints per task (seeds 7, 8, 9), each fine-tuned on its own block of "
        "target seeds (1, 2; 3, 4; 5, 6)")
    spec["task_settings"] = {"cola": {"seed": [1, 2]}}  # a task's own seeds are said for it alone
    assert what_was_run.replication_text(spec) == (
        "2 intermediate checkpoints of CoLA (seeds 1, 2), each fine-tuned on its own block of "
        "target seeds (1, 2, 3; 4, 5, 6); 3 intermediate checkpoints of Synthesis (seeds 7, 8, 9), "
        "each fine-tuned on its own block of target seeds (1, 2; 3, 4; 5, 6)")
