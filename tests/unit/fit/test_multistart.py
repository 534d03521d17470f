"""Which end point of a multistart is the fit: the lowest objective, with an honest status."""

from __future__ import annotations

import numpy as np

import scalinglaws as sl
from scalinglaws.fit.multistart import ranked
from scalinglaws.fit.solver import Outcome

CONVERGED, MAX_ITER, STALLED = int(Outcome.CONVERGED), int(Outcome.MAX_ITER), int(Outcome.STALLED)


def test_a_converged_end_point_equal_to_rounding_comes_before_one_that_hit_the_limit() -> None:
    objectives = np.array([2.0, 1.0, 1.0 + 1e-14, 1.0 + 5e-13])
    outcomes = np.array([CONVERGED, MAX_ITER, STALLED, CONVERGED])
    assert ranked(objectives, outcomes, rtol=1e-12).tolist() == [3, 1, 2, 0]


def test_a_converged_end_point_clearly_above_the_lowest_does_not() -> None:
    objectives = np.array([1.0 + 1e-9, 1.0, 3.0])
    outcomes = np.array([CONVERGED, MAX_ITER, CONVERGED])
    assert ranked(objectives, outcomes, rtol=1e-12).tolist() == [1, 0, 2]
    assert ranked(objectives, np.full(3, MAX_ITER), rtol=1e-12).tolist() == [1, 0, 2]


def test_a_ridge_crawl_at_the_iteration_limit_does_not_hide_a_converged_start() -> None:
    """lin_rectified (correlations of +-1.000): one start crawls to the iteration limit a few ulps
    below the optimum that others reached and converged at; the fit is that optimum, converged."""
    law = sl.get_law("lin_rectified")
    runs = sl.testing.synthetic_runs(law, n_runs=40, noise=0.02, seed=1)
    result = sl.fit(runs, law)
    assert result.status is sl.FitStatus.CONVERGED, result.summary()
