"""Real rows of HellaSwag and MedNLI (no shared copy of either), for the tests of their exact
formats; random-word files in every layout are the task files' samples (tasks/samples.py)."""
from pathlib import Path

from stilts_nb.tasks.samples import jsonl


def write_jsonl(path: Path, rows: list) -> Path:
    jsonl(path, rows)
    return path


HELLASWAG = [
    {"ind": 4, "activity_label": "Removing ice from car", "ctx_a": "Then, the man writes over the snow covering the window of a car, and a woman wearing winter clothes smiles.",
     "ctx_b": "then", "ctx": "...", "split": "train", "split_type": "indomain", "label": 3, "source_id": "x",
     "endings": [", the man adds wax to the windshield and cuts it.", ", a person board a ski lift, while two men supporting the head of the person wearing winter clothes snow as the we girls sled.",
                 ", the man puts on a christmas coat, knitted with netting.", ", the man continues removing the snow on his car."]},
    {"ind": 7, "activity_label": "Baking cookies", "ctx_a": "A female chef in white uniform shows a stack of baking pans in a large kitchen presenting them.",
     "ctx_b": "the pans", "ctx": "...", "split": "train", "split_type": "indomain", "label": 0, "source_id": "y",
     "endings": ["contain egg yolks and baking soda.", "are then sprinkled with brown sugar.", "are placed in a strainer on the counter.", "are filled with pastries and loaded into the oven."]},
]

MEDNLI = [
    {"sentence1": "Labs were notable for Cr 1.7 (baseline 0.5 per old records) and lactate 2.4.", "pairID": "23eb94b8-66c7-11e7-a8dc-f45c89b91419",
     "sentence2": " Patient has elevated Cr", "gold_label": "entailment"},
    {"sentence1": "Labs were notable for Cr 1.7 (baseline 0.5 per old records) and lactate 2.4.", "pairID": "23eb9a80-66c7-11e7-a8dc-f45c89b91419",
     "sentence2": " Patient has normal Cr", "gold_label": "contradiction"},
    {"sentence1": "Labs were notable for Cr 1.7 (baseline 0.5 per old records) and lactate 2.4.", "pairID": "23eb9d0a-66c7-11e7-a8dc-f45c89b91419",
     "sentence2": "Patient has elevated BUN", "gold_label": "neutral"},
]
