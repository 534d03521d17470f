"""Planning: turn a fitted law into decisions (pure functions of a law and its parameters).

- :func:`allocate`: compute-optimal model size and data for budgets, with bootstrap intervals.
- :func:`allocate_inference`, :func:`allocate_data_constrained`, :func:`overtrain_penalty`: allocation
  with inference demand (Sardana), a finite pool of unique tokens (Muennighoff), and over-training
  (Gadre).
- :func:`isoflop_grid`, :func:`isoflop_profiles`, :func:`compare_frontiers`: Chinchilla Approaches 1-2.
- :func:`compare`: the compute multiplier of one fitted method over another, their crossover, and the
  probability that one is better at a scale, from both fits' bootstraps.
- :func:`recommend_hparams`: learning rate and batch size from Step Law, DeepSeek or a fitted law.
- :func:`suggest_runs`, :func:`model_shape`: what to train next to pin down a target prediction.
- :func:`allocate_samples`: split an inference budget between samples and model size (test-time compute).
- :func:`allocate_distillation`: teacher size, teacher tokens and distillation tokens for a student.
- :func:`allocate_precision`: model size, tokens and training precision under a precision-aware law.
- :func:`optimal_vocabulary`: the compute-optimal vocabulary size from Tao et al.'s law.
- :func:`optimal_mixture`: the training mixture minimising mixing laws' weighted validation loss.
"""

from scalinglaws.laws import CostModel, cost_model, moe_cost
from scalinglaws.plan.allocation import Allocation, allocate
from scalinglaws.plan.beyond import (
    DataConstrainedAllocation,
    InferenceAllocation,
    OvertrainPenalty,
    allocate_data_constrained,
    allocate_inference,
    overtrain_penalty,
)
from scalinglaws.plan.comparison import Comparison, compare
from scalinglaws.plan.distillation import DistillationPlan, allocate_distillation
from scalinglaws.plan.hparams import VALIDITY, HparamRecommendation, Validity, recommend_hparams
from scalinglaws.plan.isoflop import (
    FrontierComparison,
    IsoFlopResult,
    compare_frontiers,
    isoflop_grid,
    isoflop_profiles,
)
from scalinglaws.plan.mixture import MixturePlan, optimal_mixture
from scalinglaws.plan.precision import PrecisionAllocation, allocate_precision
from scalinglaws.plan.samples import SampleAllocation, allocate_samples
from scalinglaws.plan.suggest import ModelShape, Suggestion, model_shape, suggest_runs
from scalinglaws.plan.vocabulary import VocabularyPlan, optimal_vocabulary

__all__ = [
    "VALIDITY",
    "Allocation",
    "Comparison",
    "CostModel",
    "DataConstrainedAllocation",
    "DistillationPlan",
    "FrontierComparison",
    "HparamRecommendation",
    "InferenceAllocation",
    "IsoFlopResult",
    "MixturePlan",
    "ModelShape",
    "OvertrainPenalty",
    "PrecisionAllocation",
    "SampleAllocation",
    "Suggestion",
    "Validity",
    "VocabularyPlan",
    "allocate",
    "allocate_data_constrained",
    "allocate_distillation",
    "allocate_inference",
    "allocate_precision",
    "allocate_samples",
    "compare",
    "compare_frontiers",
    "cost_model",
    "isoflop_grid",
    "isoflop_profiles",
    "model_shape",
    "moe_cost",
    "optimal_mixture",
    "optimal_vocabulary",
    "overtrain_penalty",
    "recommend_hparams",
    "suggest_runs",
]
