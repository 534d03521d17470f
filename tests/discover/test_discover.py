"""``sl.discover``: determinism, the budget and the candidate limit, groups, several targets, the result,
and every argument error."""

from __future__ import annotations

import json

import numpy as np
import polars as pl
import pytest

import scalinglaws as sl
from scalinglaws.discover.search import CHUNK

LIMIT = 8
"""Candidates per target in these tests: the seeds of two inputs, enough to exercise every step."""


@pytest.fixture(scope="module")
def runs() -> pl.DataFrame:
    return sl.testing.synthetic_runs("chinchilla", n_runs=40, seed=1)


@pytest.fixture(scope="module")
def found(runs: pl.DataFrame) -> sl.Discovery:
    return sl.discover(runs, target="loss", budget_s=600, max_candidates=LIMIT, seed=3, top=4)


def test_same_seed_same_result(runs: pl.DataFrame, found: sl.Discovery) -> None:
    again = sl.discover(runs, target="loss", budget_s=600, max_candidates=LIMIT, seed=3, top=4)
    assert found.stopped == again.stopped == "limit"  # the limit, not the clock, stopped both
    assert [e.to_dict() for e in again.leaderboard] == [e.to_dict() for e in found.leaderboard]
    assert again.best.to_json() == found.best.to_json()


def test_the_result_is_a_fit_of_the_winner_on_all_the_data(
    runs: pl.DataFrame, found: sl.Discovery
) -> None:
    fit = found.best
    assert fit.n_points == runs.height
    assert fit.law.formula == found.winner.formula
    assert fit.config.provenance
    assert "scalinglaws discover" in fit.config.provenance[0]
    assert sl.FitResult.from_json(fit.to_json()) == fit
    assert np.all(np.isfinite(fit.predict(runs)))
    assert found.inputs == {"N": "n_params", "D": "n_tokens"}  # is_outlier is boolean: not an input
    assert found.n_evaluated == LIMIT
    assert len(found.leaderboard) <= 4
    assert [e.rank for e in found.leaderboard] == list(range(1, len(found.leaderboard) + 1))
    document = json.loads(found.to_json())
    assert document["leaderboards"]["loss"][0]["formula"] == found.winner.formula
    assert "nested err" in found.summary()


def test_a_tiny_budget_stops_cleanly_with_the_best_so_far(runs: pl.DataFrame) -> None:
    stopped = sl.discover(runs, target="loss", budget_s=0.01, seed=0)
    assert stopped.stopped == "budget"
    assert 0 < stopped.n_evaluated <= CHUNK  # the first chunk always runs; then the clock stops it
    assert stopped.best.is_usable or stopped.best.status.value in {
        "max-iter",
        "ill-conditioned",
        "at-bound",
    }
    assert stopped.best.law.formula == stopped.winner.formula  # the best so far is the one refitted
    assert len(stopped.leaderboard) == stopped.n_evaluated - stopped.n_discarded


def test_one_form_for_all_groups_with_constants_per_group() -> None:
    parts = []
    for g, (e, a) in enumerate([(1.7, 400.0), (1.9, 600.0), (2.1, 500.0)]):
        params = {**sl.testing.PLANTED["chinchilla"], "E": e, "A": a}
        part = sl.testing.synthetic_runs("chinchilla", params, n_runs=24, seed=g)
        parts.append(part.with_columns(family=pl.lit(f"f{g}")))
    runs = pl.concat(parts)
    found = sl.discover(
        runs, target="loss", group="family", budget_s=600, max_candidates=LIMIT, top=20
    )
    assert set(found.best.groups or {}) == {"f0", "f1", "f2"}
    assert found.group == "family"
    shared = [e for e in found.leaderboard if e.shared]
    assert shared, "the variant with exponents shared across groups is scored too"
    assert all(e.n_free < 3 * e.n_params for e in shared)
    assert "family" not in found.inputs.values()


def test_several_targets_get_one_form_each_or_a_shared_one() -> None:
    runs = sl.testing.synthetic_runs("chinchilla", n_runs=40, seed=4)
    other = sl.testing.synthetic_runs(
        "chinchilla", {**sl.testing.PLANTED["chinchilla"], "E": 2.3, "B": 1500.0}, n_runs=40, seed=4
    )
    runs = runs.with_columns(loss_b=other["loss"])
    found = sl.discover(runs, target=["loss", "loss_b"], budget_s=600, max_candidates=CHUNK)
    assert found.targets == ("loss", "loss_b")
    assert set(found.fits) == {"loss", "loss_b"}
    assert found.fits["loss_b"].config.target == "loss_b"
    if found.shared_form:
        assert found.leaderboards["loss"][0].formula == found.leaderboards["loss_b"][0].formula
    with pytest.raises(sl.ArgumentError, match="several targets"):
        _ = found.best


def test_the_split_axis_can_be_named(runs: pl.DataFrame) -> None:
    by_n = sl.discover(runs, target="loss", split_by="N", budget_s=600, max_candidates=CHUNK)
    assert by_n.axis == "column 'n_params' (N)"
    assert "C = 6*N*D" in sl.discover(runs, target="loss", budget_s=600, max_candidates=CHUNK).axis


def test_inputs_by_symbol_column_or_pair(runs: pl.DataFrame) -> None:
    renamed = runs.rename({"n_params": "num_params"})
    found = sl.discover(
        renamed, target="loss", inputs=["N=num_params", "D"], budget_s=600, max_candidates=CHUNK
    )
    assert found.inputs == {"N": "num_params", "D": "n_tokens"}
    assert found.best.config.mapping.get("N", "num_params") == "num_params"


@pytest.mark.parametrize(
    ("kwargs", "error", "match"),
    [
        ({"target": "nope"}, sl.MissingColumnError, "target column 'nope'"),
        ({"inputs": ["N", "nope"]}, sl.MissingColumnError, "input column 'nope'"),
        ({"inputs": ["is_outlier"]}, sl.ArgumentError, "Column 'is_outlier' is not numeric"),
        ({"inputs": ["loss"]}, sl.ArgumentError, "a column other than a target"),
        ({"inputs": ["constant"]}, sl.ArgumentError, "has one value only"),
        ({"inputs": []}, sl.ArgumentError, "at least one column"),
        ({"inputs": ["N", "N"]}, sl.ArgumentError, "distinct"),
        ({"inputs": ["log=n_params"]}, sl.ArgumentError, "distinct Python names"),
        ({"group": "nope"}, sl.MissingColumnError, "group column 'nope'"),
        ({"split_by": "nope"}, sl.MissingColumnError, "`split_by` 'nope'"),
        ({"budget_s": 0}, sl.ArgumentError, "`budget_s` of discover must be a positive number"),
        ({"top": 0}, sl.ArgumentError, "`top` of discover must be an integer of at least 1"),
        ({"seed": 1.5}, sl.ArgumentError, "`seed` of discover must be an integer"),
        ({"max_candidates": 0}, sl.ArgumentError, "`max_candidates` of discover"),
        ({"target": []}, sl.ArgumentError, "`target` of discover must be"),
        ({"target": "label"}, sl.ArgumentError, "a numeric column"),
    ],
)
def test_bad_arguments_name_what_is_wrong(
    runs: pl.DataFrame, kwargs: dict[str, object], error: type, match: str
) -> None:
    table = runs.with_columns(constant=pl.lit(1.0), label=pl.lit("a"))
    with pytest.raises(error, match=match):
        sl.discover(table, **{"target": "loss", "budget_s": 5.0, **kwargs})  # type: ignore[arg-type]


def test_bad_rows_and_too_few_runs_are_data_errors(runs: pl.DataFrame) -> None:
    holes = runs.with_columns(
        n_params=pl.when(pl.int_range(pl.len()) == 3).then(None).otherwise(pl.col("n_params"))
    )
    with pytest.raises(
        sl.DataError, match=r"column 'n_params' \(an input of discover\) must be finite"
    ):
        sl.discover(
            holes.with_columns(pl.col("n_params").fill_null(float("nan"))), inputs=["N", "D"]
        )
    with pytest.raises(sl.DataError, match="discover needs runs at 5 or more distinct values"):
        sl.discover(runs.head(6), target="loss")
    with pytest.raises(sl.DataError, match="the split axis"):
        sl.discover(runs.with_columns(t=pl.lit(float("nan"))), inputs=["N", "D"], split_by="t")


@pytest.mark.parametrize("limit", [5, 6])
def test_a_limit_inside_the_last_chunk_of_a_batch_stops_cleanly(limit: int) -> None:
    # 5 and 6 cut the last chunk (of 4) of the first batch short; the search used to end without a
    # reason for stopping (IndexError) instead of returning what it had scored.
    runs = sl.testing.synthetic_runs("power", n_runs=30, noise=0.01, seed=0)
    found = sl.discover(runs, target="loss", budget_s=600, max_candidates=limit, seed=0)
    assert f"{limit} candidate fits scored" in found.summary()
    assert "search stopped at max_candidates" in found.summary()
