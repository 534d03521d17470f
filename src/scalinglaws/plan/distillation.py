"""Compute-optimal distillation: split a budget between teacher pretraining, teacher logits and the
student (Busbridge et al. 2025, arXiv:2502.08606, Sec. 5.3, Eq. 9-10).

For a student of N_S parameters and a total budget C, choose the teacher size N_T, its tokens D_T and the
distillation tokens D_S minimising the student's cross-entropy (``busbridge_distillation``) with the
teacher's loss L_T = L(N_T, D_T) and the student's supervised loss L~_S = L(N_S, D_S) from the supervised
law (``busbridge_supervised``), subject to

    C = train(N_S, D_S) + delta_logits * logits(N_T, D_S) + delta_pretrain * train(N_T, D_T),

with ``train = 6*N*D`` and ``logits = 2*N*D`` by default (the paper counts attention FLOPs in F(N); its
compute axis is therefore slightly different). The four scenarios of Table 2 set the deltas:
``"best"`` (0, 0: a free teacher), ``"inference"`` (1, 0: the teacher exists, its logits are paid),
``"pretraining"`` (0, 1: the logits are stored and reused) and ``"pretraining+inference"`` (1, 1). The
supervised baseline trains the student alone on the whole budget, D = C/6N_S.

The search is a grid over (log N_T, log D_T) refined three times around the best cell, vectorised over
budgets and bootstrap draws; D_S follows from the budget. Each draw of the distillation fit is paired
with a draw of the supervised fit when both carry them.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any, Literal

import numpy as np

from scalinglaws.errors import ArgumentError
from scalinglaws.fit.result import FitResult
from scalinglaws.laws import DEFAULT_COST, CostModel, as_cost_model
from scalinglaws.plan._source import Resolved, evaluate_batch, resolve
from scalinglaws.plan.allocation import Interval2, _check_flops, _check_prob, _quantiles

Scenario = Literal["best", "inference", "pretraining", "pretraining+inference"]
SCENARIOS: dict[str, tuple[float, float]] = {
    "best": (0.0, 0.0),
    "inference": (1.0, 0.0),
    "pretraining": (0.0, 1.0),
    "pretraining+inference": (1.0, 1.0),
}
"""Scenario -> (delta_logits, delta_pretrain) of Busbridge et al. Table 2."""
LOGIT_COST = "2*N*D"
"""Teacher logits for D tokens: one forward pass of the teacher per token."""

_LOG_NT = (np.log(1e7), np.log(1e13))
_LOG_DT = (np.log(1e8), np.log(1e16))
_GRID, _ZOOM, _ZOOMS = 49, 15, 3


@dataclass(frozen=True, eq=False)
class DistillationPlan:
    """The best teacher and distillation tokens for one student size, per budget.

    Arrays are per budget. ``student_loss`` is the distilled student's predicted cross-entropy and
    ``supervised_loss`` that of the same student trained alone on the whole budget; ``flops_*`` split
    the budget. ``intervals`` (bootstrap) maps ``"student_loss"``, ``"supervised_loss"`` and
    ``"advantage"`` (supervised minus distilled) to ``(lower, upper)``; ``prob_distillation_better`` is
    the share of draws in which distillation wins.
    """

    flops: np.ndarray
    student_n_params: float
    scenario: str
    teacher_n_params: np.ndarray
    teacher_tokens: np.ndarray
    student_tokens: np.ndarray
    teacher_loss: np.ndarray
    student_loss: np.ndarray
    supervised_loss: np.ndarray
    flops_teacher_pretraining: np.ndarray
    flops_teacher_logits: np.ndarray
    flops_student: np.ndarray
    source: str
    prob: float
    intervals: dict[str, Interval2] = field(default_factory=dict)
    prob_distillation_better: np.ndarray | None = None
    n_draws: int = 0

    @property
    def advantage(self) -> np.ndarray:
        """Supervised minus distilled cross-entropy: positive where distillation is better."""
        return self.supervised_loss - self.student_loss

    def to_dict(self) -> dict[str, Any]:
        keys = (
            "teacher_n_params", "teacher_tokens", "student_tokens", "teacher_loss", "student_loss",
            "supervised_loss", "advantage", "flops_teacher_pretraining", "flops_teacher_logits",
            "flops_student",
        )
        budgets = []
        for i, c in enumerate(self.flops):
            row = {"flops": float(c), **{k: float(getattr(self, k)[i]) for k in keys}}
            for key, (lo, hi) in self.intervals.items():
                row[f"{key}_lower"], row[f"{key}_upper"] = float(lo[i]), float(hi[i])
            if self.prob_distillation_better is not None:
                row["prob_distillation_better"] = float(self.prob_distillation_better[i])
            budgets.append(row)
        return {
            "student_n_params": self.student_n_params, "scenario": self.scenario, "source": self.source,
            "prob": self.prob if self.intervals else None, "n_draws": self.n_draws, "budgets": budgets,
        }


def _source(
    function: str, result: FitResult | None, law: str, preset: str, inputs: tuple[str, ...]
) -> Resolved:
    resolved = resolve(function, result, None if result is not None else law,
                       None if result is not None else preset, None)
    if set(resolved.law.inputs) != set(inputs):
        raise ArgumentError(
            f"`{'distillation' if 'L_T' in inputs else 'supervised'}` of {function} must be a fit of a law "
            f"with inputs {list(inputs)} (as {law!r}). Got {resolved.law.label!r} with inputs "
            f"{list(resolved.law.inputs)}.", argument="distillation" if "L_T" in inputs else "supervised",
            function=function,
        )
    return resolved


def _paired(a: Resolved, b: Resolved) -> tuple[dict[str, np.ndarray], dict[str, np.ndarray], int]:
    """Parameter batches of both fits with the same number of rows: the point, then paired draws."""
    with_draws = a.draws is not None or b.draws is not None
    n = 1 + min(r.draws.shape[0] for r in (a, b) if r.draws is not None) if with_draws else 1

    def rows(r: Resolved) -> dict[str, np.ndarray]:
        batch = r.batch(r.draws is not None)
        return {k: np.resize(v, (n, 1)) if v.shape[0] == 1 else v[:n] for k, v in batch.items()}

    return rows(a), rows(b), n - 1


def allocate_distillation(
    distillation: FitResult | None = None,
    *,
    student_n_params: float,
    flops: float | Sequence[float] | np.ndarray,
    supervised: FitResult | None = None,
    scenario: Scenario = "pretraining+inference",
    train_cost: CostModel | str = DEFAULT_COST,
    logit_cost: CostModel | str = LOGIT_COST,
    prob: float = 0.95,
) -> DistillationPlan:
    """Teacher size, teacher tokens and distillation tokens that minimise a student's cross-entropy.

    Parameters
    ----------
    distillation, supervised
        Fits of ``busbridge_distillation`` and ``busbridge_supervised`` (bootstrap draws give
        intervals); each defaults to its ``busbridge2025`` preset.
    student_n_params
        Student size N_S (non-embedding parameters).
    flops
        Total budget(s), counted as the scenario says.
    scenario
        ``"best"``, ``"inference"``, ``"pretraining"`` or ``"pretraining+inference"`` (Table 2).
    train_cost, logit_cost
        Training FLOPs of N parameters on D tokens (``6*N*D``) and the teacher's logits on D tokens
        (``2*N*D``).

    Raises
    ------
    ValueError
        If ``student_n_params``, ``flops``, ``prob`` or ``scenario`` is invalid, or a fit is of another
        law.

    Examples
    --------
    >>> from scalinglaws.plan import allocate_distillation
    >>> plan = allocate_distillation(student_n_params=1e9, flops=1e21, scenario="pretraining+inference")
    >>> bool(plan.student_loss[0] > plan.supervised_loss[0])  # a teacher trained for one student
    True
    """
    function = "allocate_distillation"
    budgets = _check_flops(flops, function)
    _check_prob(prob, function)
    if scenario not in SCENARIOS:
        raise ArgumentError(
            f"`scenario` of {function} must be one of {sorted(SCENARIOS)}. Got {scenario!r} instead.",
            argument="scenario", function=function, rule=f"one of {sorted(SCENARIOS)}", value=scenario,
        )
    n_s = float(student_n_params)
    if not (np.isfinite(n_s) and n_s > 0):
        raise ArgumentError(
            f"`student_n_params` of {function} must be a positive number of parameters. Got "
            f"{student_n_params!r} instead.", argument="student_n_params", function=function,
            rule="a positive number of parameters", value=student_n_params,
        )
    student_law = _source(function, distillation, "busbridge_distillation", "busbridge2025",
                          ("N", "D", "L_T", "L_sup"))
    teacher_law = _source(function, supervised, "busbridge_supervised", "busbridge2025", ("N", "D"))
    dist, sup, n_draws = _paired(student_law, teacher_law)
    train, logits = as_cost_model(train_cost), as_cost_model(logit_cost)
    d_logit, d_pre = SCENARIOS[scenario]
    expand = {k: v[:, :, None] for k, v in dist.items()}, {k: v[:, :, None] for k, v in sup.items()}
    c = budgets[None, :, None]
    per_token_student = np.asarray(train.flops(n_s, 1.0), dtype=float)

    def student_loss(log_nt: np.ndarray, log_dt: np.ndarray) -> tuple[np.ndarray, ...]:
        n_t, d_t = np.exp(log_nt), np.exp(log_dt)
        pretrain = d_pre * train.flops(n_t, d_t)
        d_s = (c - pretrain) / (per_token_student + d_logit * logits.flops(n_t, 1.0))
        d_s = np.where(d_s > 0, d_s, np.nan)
        l_t = evaluate_batch(teacher_law.law, expand[1], {"N": n_t, "D": d_t})
        l_sup = evaluate_batch(teacher_law.law, expand[1], {"N": n_s, "D": d_s})
        value = evaluate_batch(student_law.law, expand[0], {"N": n_s, "D": d_s, "L_T": l_t, "L_sup": l_sup})
        return value, d_s, l_t

    shape = (n_draws + 1, budgets.size)
    lo_n, hi_n = np.full(shape, _LOG_NT[0]), np.full(shape, _LOG_NT[1])
    lo_d, hi_d = np.full(shape, _LOG_DT[0]), np.full(shape, _LOG_DT[1])
    size = _GRID
    for _ in range(_ZOOMS + 1):
        t = np.linspace(0.0, 1.0, size)
        grid_n = (lo_n[..., None] + (hi_n - lo_n)[..., None] * t)[..., :, None]
        grid_d = (lo_d[..., None] + (hi_d - lo_d)[..., None] * t)[..., None, :]
        flat_n = np.broadcast_to(grid_n, (*shape, size, size)).reshape(*shape, -1)
        flat_d = np.broadcast_to(grid_d, (*shape, size, size)).reshape(*shape, -1)
        value = student_loss(flat_n, flat_d)[0]
        best = np.argmin(np.where(np.isfinite(value), value, np.inf), axis=-1)
        bn = np.take_along_axis(flat_n, best[..., None], axis=-1)[..., 0]
        bd = np.take_along_axis(flat_d, best[..., None], axis=-1)[..., 0]
        step_n, step_d = (hi_n - lo_n) / (size - 1), (hi_d - lo_d) / (size - 1)
        lo_n, hi_n, lo_d, hi_d = bn - 2 * step_n, bn + 2 * step_n, bd - 2 * step_d, bd + 2 * step_d
        size = _ZOOM
    value, d_s, l_t = (a[..., 0] for a in student_loss(bn[..., None], bd[..., None]))
    n_t, d_t = np.exp(bn), np.exp(bd)
    supervised_loss = evaluate_batch(teacher_law.law, sup, {"N": n_s, "D": train.tokens(np.asarray(n_s), budgets)[None, :]})
    intervals: dict[str, Interval2] = {}
    better = None
    if n_draws:
        for key, values in (("student_loss", value), ("supervised_loss", supervised_loss),
                            ("advantage", supervised_loss - value)):
            intervals[key] = _quantiles(values[1:], prob)
        better = np.mean(supervised_loss[1:] - value[1:] > 0, axis=0)
    return DistillationPlan(
        flops=budgets, student_n_params=n_s, scenario=scenario, teacher_n_params=n_t[0],
        teacher_tokens=d_t[0], student_tokens=d_s[0], teacher_loss=l_t[0], student_loss=value[0],
        supervised_loss=supervised_loss[0],
        flops_teacher_pretraining=d_pre * train.flops(n_t[0], d_t[0]),
        flops_teacher_logits=d_logit * logits.flops(n_t[0], d_s[0]),
        flops_student=train.flops(n_s, d_s[0]),
        source=f"{student_law.label}; {teacher_law.label}", prob=prob, intervals=intervals,
        prob_distillation_better=better, n_draws=n_draws,
    )
