"""Joint bootstrap draws of two fits, for quantities that depend on both (a chain, a comparison).

Each fit's bootstrap draws stand for the sampling error of that fit. A quantity of two fits needs draws
of both *jointly*, and how to join them depends on how the fits' errors relate:

- ``"independent"`` (the default): the fits were made on different runs (a loss ladder and a larger set
  of evaluated models; two methods' own ladders). Their errors are independent, so any draw of one may
  go with any draw of the other. Draws are joined through a seeded random permutation of each, not by
  index: two fits bootstrapped with the same seed on tables of the same length resample the same row
  positions, which would couple unrelated runs.
- ``"paired"``: the fits were made on the same runs (one table holding both the loss and the metric, or
  both methods' results per run) and bootstrapped with the same seed, method and number of draws, so
  draw ``i`` of each refits the same resample of runs. Joining draw ``i`` with draw ``i`` keeps the
  correlation between the two fits' errors; joining them at random would lose it.

:func:`inflation` is ``sqrt(n / (n - p))``, the small-sample correction that
:meth:`FitResult.predict_interval` applies to its spread; a quantity of two fits widens each fit's part
of it by that fit's own factor.
"""

from __future__ import annotations

from typing import Literal, get_args

import numpy as np

from scalinglaws import _validation as v
from scalinglaws.errors import ArgumentError, FitError
from scalinglaws.fit.result import FitResult

Pairing = Literal["independent", "paired"]
PAIRINGS: tuple[str, ...] = get_args(Pairing)


def check_pairing(function: str, pairing: object, seed: object) -> None:
    """The one gate for the ``pairing`` and ``seed`` arguments of a two-fit function."""
    v.check(function, "pairing", pairing, v.one_of(PAIRINGS))
    v.check(function, "seed", seed, v.integer())


def _draws(result: FitResult, role: str, function: str) -> np.ndarray:
    if result.bootstrap is None:
        raise FitError(
            f"{function} needs bootstrap draws of the {role}, which has none. Attach them with "
            "`fit.with_bootstrap(sl.bootstrap(fit, data, n_boot=1000))` (CLI: `fit --bootstrap 1000`)."
        )
    return result.bootstrap.draws


def joint_draws(
    first: FitResult,
    second: FitResult,
    pairing: Pairing,
    seed: int,
    function: str,
    roles: tuple[str, str] = ("first fit", "second fit"),
) -> tuple[np.ndarray, np.ndarray, str]:
    """Rows of both fits' draws joined into joint draws: row ``i`` of each belongs together.

    Returns the two arrays (in each fit's ``params`` order) and a label naming the method.

    Raises
    ------
    FitError
        If a fit has no bootstrap draws, or fewer than two usable joint draws remain.
    ArgumentError
        If ``pairing="paired"`` but the two bootstraps cannot have resampled the same runs.
    """
    a, b = _draws(first, roles[0], function), _draws(second, roles[1], function)
    boot_a, boot_b = first.bootstrap, second.bootstrap
    assert boot_a is not None
    assert boot_b is not None
    if pairing == "paired":
        same = (
            boot_a.n_boot == boot_b.n_boot
            and boot_a.seed == boot_b.seed
            and boot_a.method == boot_b.method
            and first.n_points == second.n_points
        )
        if not same:
            raise ArgumentError(
                f"`pairing` of {function} is 'paired', but the two fits' bootstraps cannot have "
                f"resampled the same runs: {roles[0]} has {boot_a.n_boot} {boot_a.method} draws with "
                f"seed {boot_a.seed} on {first.n_points} points, {roles[1]} {boot_b.n_boot} "
                f"{boot_b.method} draws with seed {boot_b.seed} on {second.n_points} points. Bootstrap "
                "both on the same table with the same seed, method and n_boot, or use "
                "pairing='independent' for fits made on different runs.",
                argument="pairing", function=function,
            )
        good = boot_a.converged & boot_b.converged
        joined_a, joined_b = a[good], b[good]
    else:
        rng = np.random.default_rng(seed)
        good_a, good_b = a[boot_a.converged], b[boot_b.converged]
        n = min(good_a.shape[0], good_b.shape[0])
        joined_a = good_a[rng.permutation(good_a.shape[0])[:n]]
        joined_b = good_b[rng.permutation(good_b.shape[0])[:n]]
    if joined_a.shape[0] < 2:
        raise FitError(
            f"{function}: fewer than two bootstrap draws converged in both fits; bootstrap again with "
            "more draws."
        )
    return joined_a, joined_b, f"joint bootstrap ({pairing}, {joined_a.shape[0]} draws)"


def inflation(result: FitResult) -> float:
    """``sqrt(n / (n - p))``: the factor by which a fit's bootstrap spread understates its error."""
    n, p = result.n_points, result.n_params
    return float(np.sqrt(n / max(n - p, 1)))


def degrees_of_freedom(result: FitResult) -> int:
    """Residual degrees of freedom ``n - p`` (at least 1), as the fit's own intervals use."""
    return max(result.n_points - result.n_params, 1)


def argument_is_fit(function: str, argument: str, value: object) -> FitResult:
    """``value`` if it is a FitResult, else an :class:`ArgumentError` naming the argument."""
    if not isinstance(value, FitResult):
        raise ArgumentError(
            f"`{argument}` of {function} must be a FitResult (from `fit` or `load`). "
            f"Got {type(value).__name__} instead.",
            argument=argument, function=function,
        )
    return value
