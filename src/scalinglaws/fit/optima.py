"""Every distinct optimum the multistart found, and the choice among them by the future.

The in-sample optimum is the one that fits best; on a short ladder another basin may extrapolate far
better (Muennighoff's data-constrained law has two ridges; BNSL breaks trade places). With
``choose="backtest"`` each distinct optimum is scored by leave-future-out error along a scale axis: for
each cut, the optimum is polished on the runs below the cut (starting inside its own basin) and predicts
the runs above; the score is the mean absolute log error over all cuts. The optimum with the lowest
score is the fit; the others are kept in the result (``FitResult.optima``) with their scores.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from types import MappingProxyType
from typing import Any

import numpy as np

from scalinglaws.fit._problem import Problem
from scalinglaws.fit.multistart import Multistart, ranked, unit_coordinates
from scalinglaws.fit.solver import LevenbergMarquardt
from scalinglaws.fit.splits import cut_points

SAME_OPTIMUM = 0.02
"""End points closer than this in every searched coordinate (units of the start ranges) are one optimum."""
MAX_OPTIMA = 8
"""At most this many distinct optima are kept and scored."""
_LFO_ITERATIONS = 200


@dataclass(frozen=True)
class Optimum:
    """One distinct optimum: its parameters, in-sample objective, leave-future-out error (None when not
    scored) and whether it is the fit."""

    params: Mapping[str, float]
    objective: float
    lfo_error: float | None = None
    chosen: bool = False
    notes: tuple[str, ...] = field(default_factory=tuple)

    def __post_init__(self) -> None:
        object.__setattr__(self, "params", MappingProxyType(dict(self.params)))

    def to_dict(self) -> dict[str, Any]:
        return {
            "params": dict(self.params),
            "objective": self.objective,
            "lfo_error": self.lfo_error,
            "chosen": self.chosen,
            "notes": list(self.notes),
        }

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> Optimum:
        return cls(
            dict(data["params"]), float(data["objective"]),
            None if data.get("lfo_error") is None else float(data["lfo_error"]), bool(data["chosen"]),
            tuple(data.get("notes", ())),
        )


def distinct(problem: Problem, solution: Multistart) -> list[int]:
    """Indices (into the solution's end points) of up to ``MAX_OPTIMA`` distinct finite optima, best first."""
    order = ranked(solution.start_objectives, solution.start_outcomes)
    free = problem.free
    coordinates = unit_coordinates(problem, solution.starts, free)
    chosen: list[int] = []
    for i in order:
        if not np.isfinite(solution.start_objectives[i]) or len(chosen) == MAX_OPTIMA:
            break
        if all(np.max(np.abs(coordinates[i] - coordinates[j]), initial=0.0) >= SAME_OPTIMUM for j in chosen):
            chosen.append(int(i))
    return chosen


def lfo_errors(
    problem: Problem, candidates: np.ndarray, axis: np.ndarray, fractions: Sequence[float]
) -> np.ndarray:
    """Leave-future-out error of each candidate (rows of ``candidates``): mean absolute log error
    (relative error in linear space) of the runs above each cut, predicted by the candidate polished
    on the runs below it."""
    errors = np.zeros(candidates.shape[0])
    cuts = cut_points(axis, fractions)
    solver = LevenbergMarquardt(max_iter=_LFO_ITERATIONS)
    for cut in cuts:
        train, test = np.flatnonzero(axis <= cut), np.flatnonzero(axis > cut)
        polished = solver.solve(problem.subset(train), candidates).params
        with np.errstate(all="ignore"):
            predicted = problem.subset(test).predict(polished)
            actual = problem.y[test]
            if problem.space == "log":
                gap = np.abs(np.log(np.where(predicted > 0, predicted, np.nan) / actual))
            else:  # targets that can be zero or negative: error relative to their typical size
                gap = np.abs(predicted - actual) / max(float(np.mean(np.abs(actual))), 1e-300)
        errors += np.where(np.all(np.isfinite(gap), axis=1), np.mean(gap, axis=1), np.inf)
    return errors / max(len(cuts), 1)
