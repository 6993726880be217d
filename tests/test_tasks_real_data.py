"""Every task with files in ../shared/data: counts equal the official sizes (SOURCES.md), and
the sizes each task file declares for the cost model (Task.official_sizes)."""
import pytest

from stilts_nb.tasks import SPLITS, examples, get_task, load, majority_baseline

OFFICIAL = [  # task, split, examples
    ("rte", "train", 2490), ("rte", "dev", 277),
    ("wic", "train", 5428), ("wic", "dev", 638),
    ("cola", "dev", 1043),
    ("socialiqa", "train", 33410), ("socialiqa", "dev", 1954),
    ("winogrande_xs", "train", 160), ("winogrande_s", "train", 640),
    ("winogrande_m", "train", 2558), ("winogrande_l", "train", 10234),
    ("winogrande_m", "dev", 1267),
]


@pytest.mark.parametrize("name,split,count", OFFICIAL)
def test_official_sizes(shared_data, name, split, count):
    got = load(get_task(name), split, shared_data)
    assert len(got.examples) == count
    assert get_task(name).official_sizes[SPLITS.index(split)] == count
    assert got.fingerprint.startswith("sha256:")
    labels = {ex["label"] for ex in got.examples}
    task = get_task(name)
    assert labels <= set(range(task.num_choices or task.num_labels))


def test_cola_train_resplit_given_as_explicit_files(shared_data):
    folder = shared_data / "CoLA" / "glue_train_resplit_amrnag"
    task = get_task("cola")
    train = load(task, "train", shared_data, files={"train": folder / "train.tsv"}).examples
    val = load(task, "train", shared_data, files={"train": folder / "val.tsv"}).examples
    assert (len(train), len(val)) == (7250, 1301)
    labels = [ex["label"] for ex in train + val]  # SOURCES.md: 6023 x 1 / 2528 x 0
    assert (labels.count(1), labels.count(0)) == (6023, 2528)
    assert train[0]["sentence"] and train[0]["id"] != train[1]["id"]


def test_wic_labels_and_format_use_the_separator(shared_data):
    rows = examples(get_task("wic"), "train", "</s>", shared_data)
    assert sum(r["label"] for r in rows) == 2714  # T/F 2714/2714
    first = rows[0]
    assert first["text_a"] == "carry</s>You must carry your camping gear ."
    assert first["text_b"] == "Sound carries well over water ."
    assert first["label"] == 0


def test_rte_label_order_and_pairs(shared_data):
    rows = examples(get_task("rte"), "train", "</s>", shared_data)
    assert rows[0] == {"id": "0", "label": 1, "text_a": "No Weapons of Mass Destruction Found in Iraq Yet.",
                       "text_b": "Weapons of Mass Destruction Found in Iraq."}


def test_socialiqa_choice_format(shared_data):
    row = examples(get_task("socialiqa"), "dev", "[SEP]", shared_data)[0]
    assert row["label"] == 2  # dev-labels.lst line 1 is "3"
    assert row["choices"][0] == {"text_a": "Tracy didn't go home that evening and resisted Riley's attacks."
                                           "[SEP]What does Tracy need to do before this?",
                                 "text_b": "make a new plan"}
    assert len(row["choices"]) == 3


def test_winogrande_allenai_split(shared_data):
    row = examples(get_task("winogrande_m"), "dev", "</s>", shared_data)[0]
    assert row["label"] == 1
    assert row["choices"] == [
        {"text_a": "Sarah was a much better surgeon than Maria so ", "text_b": "Sarah always got the easier cases."},
        {"text_a": "Sarah was a much better surgeon than Maria so ", "text_b": "Maria always got the easier cases."},
    ]


def test_majority_baselines(shared_data):
    assert majority_baseline(get_task("rte"), shared_data) == pytest.approx(146 / 277)  # 52.7%
    assert majority_baseline(get_task("wic"), shared_data) == 0.5
    assert majority_baseline(get_task("cola"), shared_data) == 0.0   # MCC of a constant guess
    # multiple choice: the most common answer, not chance (issue 17)
    assert majority_baseline(get_task("socialiqa"), shared_data) == pytest.approx(657 / 1954)  # C
    assert majority_baseline(get_task("winogrande_xs"), shared_data) == pytest.approx(639 / 1267)  # option 2


def test_relative_explicit_files_are_relative_to_the_data_folder(shared_data):
    rel = {"train": "CoLA/glue_train_resplit_amrnag/val.tsv"}
    assert len(load(get_task("cola"), "train", shared_data, files=rel).examples) == 1301
