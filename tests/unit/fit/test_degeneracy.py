"""The degenerate-optimum guard: a fit whose optimum makes part of the law meaningless is refused.

The catalog laws never trip it on their own domain: the conformance and recovery suites require
``converged`` on every catalog law's synthetic data, which a degenerate status would fail.
"""

from __future__ import annotations

import numpy as np
import polars as pl
import pytest

import scalinglaws as sl
from scalinglaws.data.io import columns_of
from scalinglaws.fit import degeneracy
from scalinglaws.fit.gate import prepare

LR_LAW = "E + A*N**-alpha + B*D**-beta + Q*(lr - F*N**gamma*D**zeta)**2 + G*(bs - K*D**kappa)**2"
PLANTED = {
    "E": 1.8, "A": 480.0, "alpha": 0.35, "B": 2100.0, "beta": 0.37, "Q": 5500.0, "F": 0.089,
    "gamma": -0.3, "zeta": 0.1, "G": 0.02, "K": 0.002, "kappa": 0.3,
}
"""A Chinchilla loss plus a quadratic penalty around a power-law optimal learning rate (3e-3 at 100M
parameters) and one around a power-law optimal batch size (in millions of tokens)."""


def lr_sweep(seed: int = 0, noise: float = 0.005) -> pl.DataFrame:
    """An lr x batch-size sweep at four model sizes and four token budgets: 640 runs."""
    rng = np.random.default_rng(seed)
    grid = [
        (n, n * tpp, lr, bs)
        for n in (1e7, 1e8, 1e9, 3e9) for tpp in (10, 20, 40, 80)
        for lr in np.geomspace(3e-4, 3e-2, 8) for bs in np.geomspace(0.125, 8, 5)
    ]
    n, d, lr, bs = (np.array(column) for column in zip(*grid, strict=True))
    p = PLANTED
    loss = (
        p["E"] + p["A"] * n ** -p["alpha"] + p["B"] * d ** -p["beta"]
        + p["Q"] * (lr - p["F"] * n ** p["gamma"] * d ** p["zeta"]) ** 2
        + p["G"] * (bs - p["K"] * d ** p["kappa"]) ** 2
    )
    loss *= np.exp(rng.normal(0.0, noise, loss.shape))
    return pl.DataFrame({"n_params": n, "n_tokens": d, "lr": lr, "bs": bs, "loss": loss})


@pytest.fixture(scope="module")
def sweep() -> pl.DataFrame:
    return lr_sweep()


GENERIC = dict.fromkeys(("alpha", "beta", "F", "gamma", "zeta", "K", "kappa"), (0.0, 2.0))
"""The start ranges every typed parameter had before they were read off the data."""


def test_the_guard_refuses_the_degenerate_optimum_of_an_lr_sweep(sweep: pl.DataFrame) -> None:
    # With generic start ranges the search never sees a negative exponent for N; the best it finds
    # sends the exponents of the learning-rate optimum off to tens, so that the term no longer tracks
    # lr (the engine before the guard reported F = -4.8e62 as merely "ill-conditioned").
    result = sl.fit(sweep, LR_LAW, init=GENERIC, n_grid=64)
    assert result.status is sl.FitStatus.DEGENERATE, result.message
    assert result.message.startswith("degenerate optimum")
    assert not result.is_usable
    found = [d.message for d in result.diagnostics if d.kind == "degenerate"]
    assert found
    assert any(f"`--param {name}=LO:HI`" in m or "parameters F, gamma, zeta" in m for m in found for name in ("F", "gamma", "zeta"))
    with pytest.raises(sl.ConvergenceError, match=r"ended with status degenerate: degenerate optimum"):
        sl.fit(sweep, LR_LAW, init=GENERIC, n_grid=64, strict=True)


@pytest.mark.slow
def test_scale_aware_starts_find_the_planted_lr_law(sweep: pl.DataFrame) -> None:
    result = sl.fit(sweep, LR_LAW, n_grid=256)
    assert result.status is sl.FitStatus.CONVERGED, result.message
    # 0.5% noise on 640 runs: the optimum's exponents sit within a few hundredths of the planted ones.
    for name in ("alpha", "beta", "gamma", "zeta", "kappa"):
        assert result.params[name] == pytest.approx(PLANTED[name], abs=0.03), name


def test_typed_parameters_get_start_ranges_from_their_role(sweep: pl.DataFrame) -> None:
    problem = prepare(columns_of(sweep, "test"), LR_LAW, sl.FitConfig()).problem
    specs = {p.name: p for p in problem.law.params}
    # N spans 2.5 decades: an exponent of N moves the power by at most 3 decades within +-3/2.5.
    reach = 3 / np.log10(3e9 / 1e7)
    assert specs["gamma"].init == pytest.approx((-reach, reach))
    assert specs["alpha"].init == specs["gamma"].init
    # F is added to lr (3e-4..3e-2): its start range spans three decades either side of lr's median.
    lo, hi = specs["F"].init  # type: ignore[misc]
    assert specs["F"].init_scale == "log"
    assert lo < 3e-3 < hi
    assert hi / lo == pytest.approx(1e6)
    # No start range is a bound: every typed parameter stays unbounded.
    assert all(np.isinf(p.lower) and np.isinf(p.upper) for p in specs.values())


REPEATS_LAW = "E + A/N**alpha + B/(U + U*R*(1 - exp(-(D/U - 1)/R)))**beta"
"""Muennighoff et al.'s effective data, typed: ``R`` divides the epochs beyond the first, ``D/U - 1``."""
REPEATS_MAP = {"N": "n_params", "D": "n_tokens", "U": "n_unique_tokens"}


def test_a_constant_dividing_an_expression_of_the_data_gets_its_range() -> None:
    runs = sl.testing.synthetic_runs("muennighoff", n_runs=120, noise=0.01, seed=0)
    problem = prepare(columns_of(runs, "test"), REPEATS_LAW, sl.FitConfig(mapping=REPEATS_MAP)).problem
    spec = next(p for p in problem.law.params if p.name == "R")
    epochs = runs["n_tokens"].to_numpy() / runs["n_unique_tokens"].to_numpy() - 1
    assert spec.init_scale == "log"
    assert spec.init == pytest.approx((epochs[epochs > 0].min(), epochs.max()))


def test_a_typed_effective_data_law_finds_its_sound_optimum() -> None:
    # With the generic (0, 2) start range R fell into the basin where R runs to 1e15 (D_eff = D: no
    # penalty for repeating), flagged degenerate at objective 0.00466; the epochs' range finds 0.00263.
    runs = sl.testing.synthetic_runs("muennighoff", n_runs=120, noise=0.01, seed=0)
    result = sl.fit(runs, REPEATS_LAW, mapping=REPEATS_MAP)
    assert result.status is sl.FitStatus.CONVERGED, result.message
    assert 1 < result.params["R"] < 100
    assert result.objective < 0.003


def _check(law: str, frame: pl.DataFrame, values: dict[str, float]) -> list[degeneracy.Degeneracy]:
    problem = prepare(columns_of(frame, "test"), law, sl.FitConfig()).problem
    return degeneracy.check(problem, np.array([values[n] for n in problem.names]))


@pytest.fixture(scope="module")
def ladder() -> pl.DataFrame:
    return sl.testing.synthetic_runs("chinchilla", n_runs=30, seed=0)


def test_cancelling_terms(ladder: pl.DataFrame) -> None:
    # E at -1e9 balanced by an amplitude of 1e9 with a tiny exponent: the classic E -> -inf ridge.
    found = _check("E + A*N**-alpha", ladder, {"E": -1e9, "A": 1e9, "alpha": 1e-10})
    assert [d.kind for d in found][:1] == ["cancelling"]
    assert "two terms cancel" in found[0].message


def test_a_term_that_went_flat(ladder: pl.DataFrame) -> None:
    found = _check("E + A*N**-alpha + B*D**-beta", ladder, {"E": 1.0, "A": 1.0, "alpha": 1e-13, "B": 400.0, "beta": 0.3})
    assert [d.kind for d in found] == ["flat"]
    assert found[0].params == ("A", "alpha")
    assert "acts as a second offset" in found[0].message


def test_a_vanishing_term(ladder: pl.DataFrame) -> None:
    found = _check("E + A*N**-alpha + B*D**-beta", ladder, {"E": 1.8, "A": 1e-20, "alpha": 0.3, "B": 400.0, "beta": 0.3})
    assert [d.kind for d in found] == ["vanishing"]
    assert "contributes nothing" in found[0].message


def test_an_offset_at_zero_is_an_estimate_not_a_degenerate_optimum(ladder: pl.DataFrame) -> None:
    # E = 0 leaves a pure power law, every other parameter determined: not degenerate. An amplitude at
    # 0 leaves its exponent undetermined: degenerate.
    assert _check("E + A*N**-alpha + B*D**-beta", ladder, {"E": 0.0, "A": 400.0, "alpha": 0.3, "B": 400.0, "beta": 0.3}) == []
    found = _check("E + A*N**-alpha + B*D**-beta", ladder, {"E": 1.8, "A": 0.0, "alpha": 0.3, "B": 400.0, "beta": 0.3})
    assert [(d.kind, d.params) for d in found] == [("vanishing", ("A", "alpha"))]


def test_the_fit_of_an_offset_pushed_onto_its_bound_is_at_bound_not_degenerate() -> None:
    # A loss that falls below a pure power law: the data put E on its bound 0 (as on the Hitchhiker's
    # T5/Pile family).
    law = sl.Law.from_formula("A*N**(-alpha) + B*D**(-beta) - C", inputs=["N", "D"])
    planted = {"A": 400.0, "alpha": 0.3, "B": 400.0, "beta": 0.3, "C": 0.2}
    runs = sl.testing.synthetic_runs(law, planted, n_runs=40, seed=0)
    result = sl.fit(runs, "chinchilla")
    assert result.params["E"] == 0.0
    assert result.status is sl.FitStatus.BOUND_HIT
    assert not [d for d in result.diagnostics if d.kind == "degenerate"]


def test_a_runaway_exponent(ladder: pl.DataFrame) -> None:
    found = _check("E + A*N**-alpha", ladder, {"E": 1.8, "A": 1.0, "alpha": 1e12})
    assert {d.kind for d in found} == {"runaway", "vanishing"}
    runaway = next(d for d in found if d.kind == "runaway")
    assert "`--param alpha=LO:HI`" in runaway.message


def test_a_sound_optimum_passes(ladder: pl.DataFrame) -> None:
    assert _check("E + A*N**-alpha + B*D**-beta", ladder, dict(sl.testing.PLANTED["chinchilla"])) == []
