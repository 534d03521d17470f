"""Every catalog law fitted with both backends: the same status and the same objective.

The JAX backend (``backend="jax"``) evaluates the same formulas with the same algorithms as the NumPy
kernels; only the order of floating-point sums and the last bits of transcendental functions differ.
The default run checks a representative subset (a plain power law, Chinchilla's law, an implicit law
and a law over a learning-rate history); ``-m slow`` checks the whole catalog (about 20 s per law here,
mostly JAX's compile).
"""

from __future__ import annotations

import pytest

import scalinglaws as sl
from scalinglaws.laws import Law

pytest.importorskip("jax", reason="the JAX backend needs jax (pip install 'scalinglaws[jax]')")

REPRESENTATIVE = {
    "power",  # one input, three parameters
    "chinchilla",  # two inputs, linear amplitudes (variable projection)
    "alabdulmohsin_m4",  # an implicit law (solve_for): bisection + Newton, implicit derivatives
    "multi_power",  # history_sum over a learning-rate schedule
}
RTOL = 1e-8
"""Both backends stop on the same convergence test; at a converged optimum the objectives agree to
rounding (1e-14 to 1e-15 here), so 1e-8 leaves room for a flatter optimum, not for another one."""


def cases() -> list[object]:
    params = []
    for law in sl.list_laws():
        marks = [] if law.name in REPRESENTATIVE else [pytest.mark.slow]
        params.append(pytest.param(law, id=law.name, marks=marks))
    return params


def test_the_representative_laws_are_in_the_catalog() -> None:
    assert {law.name for law in sl.list_laws()} >= REPRESENTATIVE


@pytest.mark.parametrize("law", cases())
def test_numpy_and_jax_backends_agree(law: Law) -> None:
    runs = sl.testing.synthetic_runs(law, n_runs=40, noise=0.02, seed=1)
    reference = sl.fit(runs, law)
    result = sl.fit(runs, law, backend="jax")
    assert result.status is reference.status, (reference.summary(), result.summary())
    if reference.status is sl.FitStatus.MAX_ITER:
        # Both stopped at the iteration limit, not at an optimum, and where each stops depends on the
        # rounding of every step before it. With room to finish, both must reach the same optimum.
        max_iter = 8 * reference.config.max_iter
        reference = sl.fit(runs, law, max_iter=max_iter)
        result = sl.fit(runs, law, max_iter=max_iter, backend="jax")
        assert result.status is reference.status, (reference.summary(), result.summary())
        assert reference.status is not sl.FitStatus.MAX_ITER, "no optimum to compare at 8x iterations"
    assert result.objective == pytest.approx(reference.objective, rel=RTOL)
    assert result.config.backend == "jax"
    assert list(result.params) == list(reference.params)
