"""Planted-form recovery: on synthetic runs from a known law at 1% noise, discovery puts the planted
form (up to reparametrisation) on top, or a form whose held-out error is within noise of it.

The held-out error of the planted form is measured the way the leaderboard measures every form: fitted
on the runs below the outer cut of the split axis, scored on the runs above it. The mixture-exponential
law runs by default (about 25 s); the others, 40 s to 4 minutes each, are marked slow.
"""

from __future__ import annotations

from collections.abc import Mapping

import numpy as np
import polars as pl
import pytest

import scalinglaws as sl
from scalinglaws.discover.api import resolve_axis, resolve_inputs
from scalinglaws.discover.canonical import canonical
from scalinglaws.discover.scoring import held_out_scores, make_splits

NOISE = 0.01
WITHIN_NOISE = 0.5 * NOISE
"""A form whose held-out mean relative error is within half the noise level of the planted form's is
indistinguishable from it on these runs: the planted form's own error is about 0.8 of the noise (the
mean absolute value of a normal draw), and half the noise is well beyond the sampling spread of that
mean over a dozen held-out runs."""


def planted_heldout(
    runs: pl.DataFrame, law: sl.Law, mapping: Mapping[str, str], split_by: str = "auto"
) -> float:
    """The planted law's held-out error on the outer split discovery uses."""
    columns = {c: runs[c].to_numpy() for c in runs.columns}
    inputs = resolve_inputs(columns, list(mapping.values()), ["loss"], None)
    axis, note = resolve_axis(columns, inputs, split_by)
    splits = make_splits(axis, None, note)
    train, held = (
        runs.filter(pl.Series(splits.outer_train)),
        runs.filter(pl.Series(splits.outer_test)),
    )
    fit = sl.fit(train, law, mapping=dict(mapping))
    return held_out_scores(fit.predict(held), held["loss"].to_numpy(), "log")[0]


def check_recovered(
    found: sl.Discovery,
    law: sl.Law,
    mapping: Mapping[str, str],
    runs: pl.DataFrame,
    split_by: str = "auto",
) -> None:
    best = found.winner
    planted = canonical(law.formula, mapping).identity
    if canonical(best.formula, best.mapping).identity == planted:
        return
    reference = planted_heldout(runs, law, mapping, split_by)
    assert best.outer_error <= reference + WITHIN_NOISE, (
        f"winner {best.formula} (held-out {best.outer_error:.4f}) is neither the planted form {law.formula} "
        f"nor within noise of its held-out error {reference:.4f}"
    )


@pytest.mark.slow
def test_chinchilla_is_recovered() -> None:
    runs = sl.testing.synthetic_runs("chinchilla", n_runs=60, noise=NOISE, seed=0)
    found = sl.discover(runs, target="loss", budget_s=900, max_candidates=30, seed=0)
    check_recovered(found, sl.get_law("chinchilla"), {"N": "n_params", "D": "n_tokens"}, runs)


def test_mixture_exponential_is_recovered() -> None:
    runs = sl.testing.synthetic_runs("ye_mixing3", n_runs=60, noise=NOISE, seed=0)
    found = sl.discover(runs, target="loss", budget_s=900, max_candidates=30, seed=0)
    assert found.inputs == {"r1": "r1", "r2": "r2"}
    check_recovered(found, sl.get_law("ye_mixing3"), {"r1": "r1", "r2": "r2"}, runs)


@pytest.mark.slow
@pytest.mark.xfail(
    strict=True,
    reason="known limit (docs/discover.md): a one-input power law ties with the planted form on the "
    "inner splits and wins as the simpler form (held-out 2.2% against 1.4%)",
)
def test_multiplicative_two_input_law_is_recovered() -> None:
    law = sl.Law.from_formula("E + A*N**(-alpha)*D**(-beta)", inputs=["N", "D"])
    params = {"E": 1.5, "A": 900.0, "alpha": 0.25, "beta": 0.2}
    runs = sl.testing.synthetic_runs(law, params, n_runs=80, noise=NOISE, seed=0)
    # a candidate limit, not the clock, ends the search: the outcome must not depend on the machine's load
    found = sl.discover(runs, target="loss", budget_s=900, max_candidates=40, seed=0)
    check_recovered(found, law, {"N": "n_params", "D": "n_tokens"}, runs)


@pytest.mark.slow
@pytest.mark.xfail(
    strict=True,
    reason="known limit (docs/discover.md): two of the three inner cuts end before the break at 1e6, "
    "so nested error cannot see it",
)
def test_bnsl_with_one_break_is_recovered() -> None:
    runs = sl.testing.synthetic_runs("bnsl", n_runs=80, noise=NOISE, seed=0)
    found = sl.discover(runs, target="loss", budget_s=900, max_candidates=40, seed=0)  # as above
    assert found.inputs == {"x": "x"}
    check_recovered(found, sl.get_law("bnsl"), {"x": "x"}, runs)


@pytest.mark.slow
def test_muennighoff_is_recovered() -> None:
    runs = sl.testing.synthetic_runs("muennighoff", n_runs=120, noise=NOISE, seed=0)
    found = sl.discover(runs, target="loss", inputs=["N", "D", "U"], budget_s=900, max_candidates=30, seed=0)
    mapping = {"N": "n_params", "D": "n_tokens", "U": "n_unique_tokens"}
    check_recovered(found, sl.get_law("muennighoff"), mapping, runs)


def test_planted_reference_is_the_planted_law_itself() -> None:
    # The reference of the within-noise check must be a fit of the planted law, scoring near the noise.
    runs = sl.testing.synthetic_runs("chinchilla", n_runs=60, noise=NOISE, seed=0)
    error = planted_heldout(runs, sl.get_law("chinchilla"), {"N": "n_params", "D": "n_tokens"})
    assert 0.3 * NOISE < error < 3 * NOISE
    assert np.isfinite(error)
