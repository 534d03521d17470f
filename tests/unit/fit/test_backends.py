"""The JAX backend (``backend="jax"``): the same fits as NumPy's, the option, and the missing-jax error.

The fits here use the power law on at most 32 points so that every test shares the kernels JAX
compiles once (per law and padded shape).
"""

from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import Any

import numpy as np
import polars as pl
import pytest
from typer.testing import CliRunner

import scalinglaws as sl
from scalinglaws.cli import app
from scalinglaws.data import strict_json
from scalinglaws.errors import ArgumentError
from scalinglaws.fit.config import FitConfig

RTOL = 1e-8
"""Objectives of the two backends at a converged optimum agree to rounding (1e-15 here); 1e-8 is the
issue's bar."""


def needs_jax() -> None:
    pytest.importorskip("jax", reason="the JAX backend needs jax (pip install 'scalinglaws[jax]')")


@pytest.fixture(scope="module")
def runs() -> pl.DataFrame:
    return sl.testing.synthetic_runs("power", n_runs=30, noise=0.02, seed=3)


@pytest.fixture(scope="module")
def grouped_runs() -> pl.DataFrame:
    frames = [
        sl.testing.synthetic_runs("power", n_runs=12, noise=0.02, seed=10 + g).with_columns(
            pl.lit(f"task{g}").alias("task")
        )
        for g in range(3)
    ]
    return pl.concat(frames)


def assert_same_fit(reference: sl.FitResult, result: sl.FitResult) -> None:
    assert result.status is reference.status
    assert result.objective == pytest.approx(reference.objective, rel=RTOL)
    # The optimum itself: parameters to 1e-6 relative (an objective flat to 1e-15 fixes them to ~1e-7).
    for name, value in reference.params.items():
        assert result.params[name] == pytest.approx(value, rel=1e-6, abs=1e-9), name


def test_default_backend_is_numpy_and_is_not_written() -> None:
    # A default fit's JSON reads exactly as before backends existed; a JAX fit records its backend.
    assert FitConfig().backend == "numpy"
    assert "backend" not in FitConfig().to_dict()
    written = FitConfig(backend="jax").to_dict()
    assert written["backend"] == "jax"
    assert FitConfig.from_dict(written).backend == "jax"


def test_unknown_backend_is_an_argument_error(runs: pl.DataFrame) -> None:
    with pytest.raises(ArgumentError, match="`backend` of fit must be one of"):
        sl.fit(runs, "power", backend="torch")  # type: ignore[arg-type]


def test_missing_jax_names_the_extra(runs: pl.DataFrame, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setitem(sys.modules, "jax", None)  # `import jax` now raises ImportError
    with pytest.raises(ImportError, match=r"pip install 'scalinglaws\[jax\]'"):
        sl.fit(runs, "power", backend="jax")


def test_a_fit_matches_numpy(runs: pl.DataFrame) -> None:
    needs_jax()
    result = sl.fit(runs, "power", backend="jax")
    assert result.config.backend == "jax"
    assert_same_fit(sl.fit(runs, "power"), result)


def test_weights_and_priors_match_numpy(runs: pl.DataFrame) -> None:
    needs_jax()
    weighted = runs.with_columns(pl.Series("w", np.linspace(0.5, 2.0, runs.height)))
    options: dict[str, Any] = {"weights": "w", "priors": {"alpha": (0.3, 0.1)}, "loss": "squared"}
    assert_same_fit(sl.fit(weighted, "power", **options), sl.fit(weighted, "power", backend="jax", **options))


@pytest.mark.parametrize("shared", [(), ("alpha",)], ids=["separate", "shared-alpha"])
def test_grouped_fits_match_numpy(grouped_runs: pl.DataFrame, shared: tuple[str, ...]) -> None:
    needs_jax()
    reference = sl.fit(grouped_runs, "power", group="task", shared=shared)
    result = sl.fit(grouped_runs, "power", group="task", shared=shared, backend="jax")
    assert_same_fit(reference, result)
    for group in ("task0", "task1", "task2"):
        for name, value in reference.params_for(group).items():
            assert result.params_for(group)[name] == pytest.approx(value, rel=1e-6), (group, name)


@pytest.mark.parametrize("method", ["pairs", "residual"])
def test_bootstrap_matches_numpy(runs: pl.DataFrame, method: str) -> None:
    needs_jax()
    reference = sl.bootstrap(sl.fit(runs, "power"), runs, n_boot=64, seed=0, method=method)
    draws = sl.bootstrap(sl.fit(runs, "power", backend="jax"), runs, n_boot=64, seed=0, method=method)
    assert np.array_equal(draws.converged, reference.converged)
    # Each resample's refit stops at a relative tolerance of 1e-10 on its objective, which settles the
    # parameters to about 1e-6 of their value; the two backends stop a rounding apart inside that.
    np.testing.assert_allclose(draws.draws, reference.draws, rtol=1e-5)


def test_backtest_runs_on_the_config_backend(runs: pl.DataFrame) -> None:
    needs_jax()
    reference = sl.backtest(runs, "power", split_by="x", train_fractions=(0.7,))
    result = sl.backtest(runs, "power", split_by="x", train_fractions=(0.7,), backend="jax")
    np.testing.assert_allclose(
        result.points["predicted"].to_numpy(), reference.points["predicted"].to_numpy(),
        rtol=1e-6,  # held-out predictions of fits that agree to 1e-6 in their parameters
    )


# --- the command line -------------------------------------------------------------------------------

runner = CliRunner()


@pytest.fixture(scope="module")
def runs_file(runs: pl.DataFrame, tmp_path_factory: pytest.TempPathFactory) -> Path:
    path = tmp_path_factory.mktemp("backend") / "runs.csv"
    runs.write_csv(path)
    return path


def test_cli_backend_jax_matches_numpy(runs_file: Path) -> None:
    needs_jax()
    numpy_out = runner.invoke(app, ["fit", str(runs_file), "--law", "power", "--json"])
    jax_out = runner.invoke(app, ["fit", str(runs_file), "--law", "power", "--json", "--backend", "jax"])
    assert numpy_out.exit_code == 0, numpy_out.output
    assert jax_out.exit_code == 0, jax_out.output
    reference, result = json.loads(numpy_out.stdout), json.loads(jax_out.stdout)
    strict_json.validate(result, "fit")  # the fit file's schema knows the backend key
    assert result["config"]["backend"] == "jax"
    assert "backend" not in reference["config"]
    assert result["status"] == reference["status"]
    assert result["objective"] == pytest.approx(reference["objective"], rel=RTOL)


def test_cli_backend_without_jax_is_a_usage_error(runs_file: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setitem(sys.modules, "jax", None)
    result = runner.invoke(app, ["fit", str(runs_file), "--law", "power", "--backend", "jax"])
    assert result.exit_code == 2, result.output
    assert "scalinglaws[jax]" in result.output
    assert "--backend" in result.output


def test_cli_rejects_an_unknown_backend(runs_file: Path) -> None:
    result = runner.invoke(app, ["fit", str(runs_file), "--law", "power", "--backend", "torch"])
    assert result.exit_code == 2
    assert "--backend" in result.output


def test_the_jitted_small_solve_matches_lapack_and_flags_singular_systems() -> None:
    needs_jax()
    import jax.numpy as jnp

    from scalinglaws.fit._jax.arrays import float64
    from scalinglaws.fit._jax.solver import gauss_solve

    rng = np.random.default_rng(0)
    a, b = rng.normal(size=(20, 5, 5)), rng.normal(size=(20, 5))
    a[7] = 0.0  # exactly singular: the solver then takes the least-squares step
    a[7, 0, 0] = 1.0
    with float64():
        x = np.asarray(gauss_solve(jnp.asarray(a), jnp.asarray(b)))
    regular = np.arange(20) != 7
    # Partial pivoting on well-conditioned random 5x5 systems: agreement to rounding (~1e-14 here).
    np.testing.assert_allclose(x[regular], np.linalg.solve(a[regular], b[regular][..., None])[..., 0],
                               rtol=1e-10, atol=1e-12)
    assert not np.all(np.isfinite(x[7]))
