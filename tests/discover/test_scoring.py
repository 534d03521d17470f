"""Scoring: the nested splits, the degenerate-optimum guard on candidates, and the ranking in which the
simplest of the forms tied with the best wins."""

from __future__ import annotations

from dataclasses import replace

import numpy as np
import pytest

from scalinglaws.discover.api import resolve_inputs
from scalinglaws.discover.grammar import Form, Vocabulary, power
from scalinglaws.discover.scoring import (
    OUTER_FRACTION,
    TIE_RELATIVE,
    TIE_STANDARD_ERRORS,
    Candidate,
    Context,
    Score,
    make_splits,
    rank,
    score,
    search_settings,
    ties,
)
from scalinglaws.discover.search import Proposals


def test_the_outer_split_holds_out_the_top_of_the_axis_and_the_inner_splits_nest_inside() -> None:
    axis = np.repeat(np.arange(1.0, 21.0), 2)  # 20 distinct values, two runs at each
    splits = make_splits(axis, None, "x")
    assert axis[splits.outer_test].min() > axis[splits.outer_train].max()
    assert np.unique(axis[splits.outer_train]).size == pytest.approx(OUTER_FRACTION * 20, abs=1)
    assert len(splits.inner) >= 2
    for train, test in splits.inner:
        assert not np.any(train & splits.outer_test)
        assert not np.any(test & splits.outer_test)
        assert axis[test].min() > axis[train].max()
    # A run held out by several inner cuts is one cluster, together with its twin at the same value.
    held = np.concatenate([axis[test] for _, test in splits.inner])
    assert np.unique(splits.clusters).size == np.unique(held).size


def test_grouped_splits_give_every_group_a_past_and_a_future() -> None:
    axis = np.concatenate([np.arange(1.0, 11.0), np.arange(100.0, 120.0)])
    labels = np.array(["a"] * 10 + ["b"] * 20)
    splits = make_splits(axis, labels, "x")
    for g in ("a", "b"):
        rows = labels == g
        assert np.any(splits.outer_test & rows)
        assert np.any(splits.outer_train & rows)
        for train, test in splits.inner:
            assert np.any(train & rows)
            assert np.any(test & rows)


@pytest.fixture(scope="module")
def setting() -> tuple[Context, Proposals]:
    rng = np.random.default_rng(0)
    x = np.geomspace(1e6, 1e9, 40)
    loss = (2 + 50 * x**-0.3) * np.exp(rng.normal(0, 0.003, x.size))
    columns = {"x": x, "loss": loss}
    inputs = resolve_inputs(columns, ["x"], ["loss"], None)
    context = Context(columns, "loss", None, "log", make_splits(x, None, "x"))
    return context, Proposals(Vocabulary.of(inputs, columns), set(columns), grouped=False)


def test_a_candidate_whose_optimum_is_degenerate_is_discarded(
    setting: tuple[Context, Proposals],
) -> None:
    context, proposals = setting
    (candidate,) = proposals.of_form(Form.of([power("x")]))
    sound = score(candidate, context, search_settings(0))
    assert sound.ok
    # Its exponent held at 1e-13: the power term is flat, a second offset, which the engine's guard flags.
    flat = score(replace(candidate, bounds={"a1": (1e-14, 1e-13)}), context, search_settings(0))
    assert not flat.ok
    assert flat.note.startswith("degenerate optimum (flat)")
    assert rank([flat, sound]) == [sound]


def fake(label: str, errors: list[float], n_free: int, published: bool = False) -> Score:
    candidate = Candidate(label, label, {}, label, n_free, (n_free, 0.0), published=published)
    e = np.asarray(errors)
    return Score(
        candidate, float(e.mean()), e, 0.0, 1.0, 0.0, 0.0, n_free, "converged", "", 0.0, True
    )


def test_the_simplest_of_the_forms_tied_with_the_best_wins() -> None:
    rng = np.random.default_rng(1)
    base = rng.uniform(0.005, 0.02, 30)
    best = fake("big", list(base), 6)
    # Slightly worse on average but well within the spread of the paired differences: a tie.
    close = fake("small", list(base + rng.normal(0.0005, 0.003, 30)), 3)
    # Worse on every point by far more than the spread: not a tie, whatever its size.
    worse = fake("tiny", list(base + 0.01), 2)
    assert ties(close, best)
    assert not ties(worse, best)
    assert [s.candidate.label for s in rank([best, close, worse])] == ["small", "big", "tiny"]
    # Among tied forms of one size, a published one comes first.
    published = fake("catalog", list(base + 0.0001), 3, published=True)
    assert rank([best, close, published])[0] is published


def test_ties_count_clusters_not_points() -> None:
    # Ten clusters of three identical points: as evidence, ten points, not thirty.
    rng = np.random.default_rng(3)
    gaps = np.repeat(rng.normal(0.001, 0.002, 10), 3)
    base = np.full(30, 0.005)
    best, other = fake("a", list(base), 3), fake("b", list(base + gaps), 3)
    clusters = np.repeat(np.arange(10), 3)
    mean, spread = gaps.mean(), np.std(gaps[::3], ddof=1) / np.sqrt(10)
    assert mean > 0
    assert mean <= TIE_STANDARD_ERRORS * spread
    assert ties(other, best, clusters)
    # ...but treated as thirty independent points, sqrt(3) times more certain: not a tie.
    assert mean > TIE_STANDARD_ERRORS * np.std(gaps, ddof=1) / np.sqrt(30)
    assert mean > TIE_RELATIVE * best.error  # (and beyond the relative tie)
    assert not ties(other, best)
