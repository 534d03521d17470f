"""Compute-optimal distillation reproduces Busbridge et al.'s findings (Sec. 5.3, Table 3)."""

from __future__ import annotations

import numpy as np
import pytest

import scalinglaws as sl
from scalinglaws.errors import ArgumentError
from scalinglaws.plan import allocate_distillation

BUDGETS = [1e20, 1e21, 1e23, 1e25]


@pytest.mark.parametrize(("student", "budgets"), [(3e8, BUDGETS), (1e9, BUDGETS), (3e9, BUDGETS), (1e10, [1e23, 1e25])])
@pytest.mark.parametrize("scenario", ["pretraining", "pretraining+inference"])
def test_training_a_teacher_for_one_student_never_beats_supervised(
    student: float, budgets: list[float], scenario: str
) -> None:
    # Sec. 5.3: "When teacher training is included in the compute, the best student cross-entropy is
    # always higher than in the supervised setting."
    plan = allocate_distillation(student_n_params=student, flops=budgets, scenario=scenario)  # type: ignore[arg-type]
    assert np.all(plan.student_loss > plan.supervised_loss)


@pytest.mark.xfail(strict=True, reason=(
    "not reproduced: for a 10B student at <= 1e21 FLOPs, under 6ND + 2ND accounting the law prefers an "
    "~820M teacher and distillation on ~0.04 tokens per parameter (2.54 against 2.65 supervised), about "
    "half the fewest tokens per parameter among the fitted distillations (a 7B student on the 3e19-FLOP "
    "IsoFLOP, ~0.08); the paper's FLOPs F(N) also count attention (App. H.1), which makes small "
    "teachers dearer"
))
def test_a_large_student_at_small_compute_is_mostly_trained_and_never_distilled_better() -> None:
    # Sec. 5.3 and Table 3: large student (>= 10B), small compute (<= 1e21): "mostly standard student
    # training", and teacher training never beats supervised.
    plan = allocate_distillation(student_n_params=1e10, flops=1e21, scenario="pretraining+inference")
    assert plan.flops_student[0] > 0.5 * 1e21
    assert plan.student_loss[0] > plan.supervised_loss[0]


@pytest.mark.parametrize("student", [3e8, 1e9])
def test_a_free_teacher_helps_at_small_compute_and_supervised_matches_it_at_large(student: float) -> None:
    # Sec. 5.1/5.3: distillation is favourable for a modest budget; "supervised learning always matches
    # the best case distillation setting at some total compute budget".
    plan = allocate_distillation(student_n_params=student, flops=[1e20, 1e26], scenario="best")
    assert plan.advantage[0] > 0.02  # 0.047 (300M) and 0.14 (1B) nats better at 1e20
    assert plan.advantage[1] < 0


def test_budget_split_follows_table3() -> None:
    def shares(student: float, flops: float) -> np.ndarray:
        plan = allocate_distillation(student_n_params=student, flops=flops, scenario="pretraining+inference")
        parts = np.array([plan.flops_teacher_pretraining[0], plan.flops_teacher_logits[0], plan.flops_student[0]])
        # The three parts spend the budget exactly (the constraint solved for D_S).
        assert parts.sum() == pytest.approx(flops, rel=1e-9)
        return parts / flops

    # Small student (<= 3B), small compute (<= 1e21): "mostly teacher pretraining".
    pretrain, logits, student = shares(1e9, 1e20)
    assert pretrain > max(logits, student)
    # Small student, large compute (>= 1e25): "evenly divided between student training and teacher
    # inference, much less on teacher pretraining".
    pretrain, logits, student = shares(1e9, 1e25)
    assert pretrain < 0.1
    assert 0.35 < logits < 0.65
    assert 0.35 < student < 0.65
    # Large student (>= 10B), large compute: "equally divided between student training, teacher
    # inference, and teacher pretraining" (each part between a sixth and a half here).
    parts = shares(1e10, 1e25)
    assert np.all((parts > 1 / 6) & (parts < 0.5)), parts


def test_intervals_from_bootstrap_draws_of_the_supervised_fit() -> None:
    law = sl.get_law("busbridge_supervised")
    runs = sl.testing.synthetic_runs(law, n_runs=40, noise=0.005, seed=3)
    result = sl.fit(runs, law)
    result = result.with_bootstrap(sl.bootstrap(result, runs, n_boot=20, seed=3))
    plan = allocate_distillation(supervised=result, student_n_params=1e9, flops=[1e20, 1e22], scenario="best")
    assert plan.n_draws == 20
    lo, hi = plan.intervals["student_loss"]
    assert np.all(lo <= hi)
    assert plan.prob_distillation_better is not None
    assert set(plan.to_dict()["budgets"][0]) >= {"student_loss_lower", "advantage_upper", "prob_distillation_better"}


def test_errors_name_the_argument() -> None:
    with pytest.raises(ArgumentError, match="`scenario`"):
        allocate_distillation(student_n_params=1e9, flops=1e21, scenario="free")  # type: ignore[arg-type]
    with pytest.raises(ArgumentError, match="`student_n_params`"):
        allocate_distillation(student_n_params=-1.0, flops=1e21)
    chinchilla = sl.fit(sl.testing.synthetic_runs("chinchilla", n_runs=20, seed=0), "chinchilla")
    with pytest.raises(ArgumentError, match="`distillation` of allocate_distillation"):
        allocate_distillation(chinchilla, student_n_params=1e9, flops=1e21)
