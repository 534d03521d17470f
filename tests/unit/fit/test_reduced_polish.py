"""The variable-projection polish: rows that meet a better row on the way are dropped, others kept."""

from __future__ import annotations

import numpy as np
import polars as pl
import pytest

import scalinglaws as sl
from scalinglaws.data.io import columns_of
from scalinglaws.fit import reduced
from scalinglaws.fit._varpro import linear_structure, project_linear
from scalinglaws.fit.gate import prepare
from scalinglaws.fit.solver import LevenbergMarquardt


def _problem():
    runs = sl.testing.synthetic_runs("chinchilla", n_runs=60, noise=0.01, seed=0)
    return prepare(columns_of(runs, "test"), "chinchilla", sl.FitConfig()).problem


def _start(problem, alpha: float, beta: float) -> np.ndarray:
    point = np.zeros(problem.n_params)
    point[problem.names.index("alpha")] = alpha
    point[problem.names.index("beta")] = beta
    return point


def test_identical_starts_polish_into_one_row() -> None:
    problem = _problem()
    start = np.stack([_start(problem, 0.3, 0.3)] * 4)
    ends = reduced.polish(problem, start)
    assert ends.shape == (1, problem.n_params)
    alone = reduced.polish(problem, start[:1])
    np.testing.assert_array_equal(ends, alone)


def test_distant_starts_are_all_kept_until_they_meet() -> None:
    problem = _problem()
    start = np.stack([_start(problem, 0.3, 0.3), _start(problem, 1.2, 0.1)])
    few = reduced.polish(problem, start, max_iter=1)
    assert few.shape[0] == 2  # one step apart: still on separate paths
    ends = reduced.polish(problem, start)
    objective = problem.objective(ends)
    assert objective.min() <= problem.objective(few).min()


def test_rows_with_their_own_weights_are_never_merged() -> None:
    problem = _problem()
    start = np.stack([_start(problem, 0.3, 0.3)] * 3)
    weights = np.ones((3, problem.n_points))
    weights[1, :5] = 0.0
    ends = reduced.polish(problem, start, weights=weights)
    assert ends.shape[0] == 3


def test_projected_values_score_as_the_law_evaluated_there() -> None:
    problem = _problem()
    linear, _ = linear_structure(problem)
    cells = np.stack([_start(problem, a, b) for a, b in ((0.2, 0.3), (0.5, 0.4), (0.9, 0.7))])
    projected, prediction = project_linear(problem, linear, cells, n_iter=2)
    np.testing.assert_allclose(prediction, problem.predict(projected), rtol=1e-12)
    np.testing.assert_allclose(
        problem.objective_of_prediction(prediction, projected), problem.objective(projected), rtol=1e-10
    )


def test_the_polish_stops_where_the_linear_parameters_hold_the_rest_of_the_descent() -> None:
    # Once the nonlinear step promises less than the linear parameters' unfinished reweighting, the
    # polish stops (22 iterations from here; 39 when it ran until no step helped): a longer limit
    # changes nothing, and the full polish from its end reaches the optimum it reaches from the start.
    problem = _problem()
    start = _start(problem, 0.34, 0.28)[None]
    early = reduced.polish(problem, start, max_iter=30)
    np.testing.assert_array_equal(early, reduced.polish(problem, start, max_iter=200))
    finished = LevenbergMarquardt().solve(problem, early)
    direct = LevenbergMarquardt().solve(problem, project_linear(problem, linear_structure(problem)[0], start)[0])
    assert finished.converged.all()
    assert direct.converged.all()
    np.testing.assert_allclose(finished.objective, direct.objective, rtol=1e-10)


@pytest.mark.parametrize(
    "config",
    [
        sl.FitConfig(),
        sl.FitConfig(space="linear", loss="squared"),
        sl.FitConfig(priors={"alpha": (0.3, 0.05)}),
        sl.FitConfig(group="family", shared=("alpha", "beta")),
    ],
    ids=["log-huber", "linear-squared", "prior", "grouped"],
)
def test_gauss_newton_is_the_gradient_and_curvature_that_derivatives_gives(config: sl.FitConfig) -> None:
    # The reduced polish takes Gauss-Newton steps from the law's first derivatives alone; they must be
    # the gradient and IRLS curvature of the full derivatives (which also evaluate second derivatives).
    runs = sl.testing.synthetic_runs("chinchilla", n_runs=60, noise=0.01, seed=0)
    runs = runs.with_columns(family=pl.Series(["a", "b", "c"] * 20))
    problem = prepare(columns_of(runs, "test"), "chinchilla", config).problem
    rng = np.random.default_rng(0)
    params = problem.lower + (np.minimum(problem.upper, 10.0) - problem.lower) * rng.uniform(0.1, 0.9, (3, problem.n_params))
    grad, irls = problem.gauss_newton(params)
    full_grad, _, full_irls = problem.derivatives(params)
    np.testing.assert_allclose(grad, full_grad, rtol=1e-12, atol=1e-300)
    np.testing.assert_allclose(irls, full_irls, rtol=1e-12, atol=1e-300)
    assert np.any(irls != 0)
