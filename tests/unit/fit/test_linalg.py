"""Many small linear systems at once: a singular or non-finite system never loses the batch."""

from __future__ import annotations

import numpy as np

from scalinglaws.fit._linalg import solve_batch, solve_spd


def test_a_singular_and_a_non_finite_system_do_not_raise_for_the_batch() -> None:
    good = np.array([[2.0, 0.0], [0.0, 4.0]])
    singular = np.array([[1.0, 1.0], [1.0, 1.0]])
    broken = np.array([[np.nan, 0.0], [0.0, 1.0]])
    a = np.stack([good, singular, broken])
    b = np.array([[2.0, 4.0], [2.0, 2.0], [1.0, 1.0]])[..., None]
    out = solve_batch(a, b)
    np.testing.assert_allclose(out[0, :, 0], [1.0, 1.0])
    np.testing.assert_allclose(out[1, :, 0], [1.0, 1.0])  # least squares: the minimum-norm solution
    assert np.all(np.isnan(out[2]))
    # A non-finite right-hand side in a batch that LAPACK cannot solve gives NaN for that entry only.
    b_broken = b.copy()
    b_broken[0, 0, 0] = np.inf
    out = solve_batch(a[:2], b_broken[:2])
    assert np.all(np.isnan(out[0]))
    np.testing.assert_allclose(out[1, :, 0], [1.0, 1.0])


def test_solve_spd_keeps_its_promise_of_non_finite_rows_not_an_exception() -> None:
    # The overflowing trial step of a variable-projection polish (discover on a Hitchhiker family)
    # made a NaN Gram matrix next to a singular one; LAPACK's least squares raised "SVD did not
    # converge" and the whole discovery failed.
    a = np.stack([np.array([[1.0, 1.0], [1.0, 1.0]]), np.full((2, 2), np.nan), np.eye(2)])
    b = np.array([[1.0, 1.0], [1.0, 1.0], [3.0, 5.0]])
    out = solve_spd(a, b)
    assert np.all(np.isfinite(out[0]))
    assert np.all(np.isnan(out[1]))
    np.testing.assert_allclose(out[2], [3.0, 5.0])
