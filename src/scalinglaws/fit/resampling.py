"""Refit a law on resampled data, all resamples at once, starting from the full-data estimate.

Methods:

- ``pairs``: resample points with replacement (as Epoch AI did for Chinchilla).
- ``cluster``: resample whole runs (every checkpoint of a run together), for tables with several
  checkpoints per run, whose points are not independent.
- ``residual``: keep the design, add resampled residuals to the fitted curve (small ladders, where
  resampling points would drop whole scales).
- ``wild``: keep the design, flip each point's own residual by a random sign (small designs whose noise
  differs between points).

Residual-based methods inflate each residual by ``1/sqrt(1 - leverage)`` (HC2) so that their spread
is unbiased.
"""

from __future__ import annotations

import operator
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any, Literal

import numpy as np

from scalinglaws import _views
from scalinglaws.errors import ArgumentError
from scalinglaws.executors import AbstractExecutor
from scalinglaws.fit._problem import Problem
from scalinglaws.fit.diagnostics import information
from scalinglaws.fit.solver import LevenbergMarquardt

Method = Literal["pairs", "cluster", "residual", "wild"]

_RESAMPLE_RTOL = 1e-10
"""Convergence tolerance of each resample's refit (relative predicted decrease of the objective): a
draw is settled to about 1e-6 of its value there, far inside the spread of the draws, in a third fewer
iterations than the 1e-12 of a fit."""
_CHUNK_ELEMENTS = 300_000
"""Resamples x points x parameters solved at once by the bootstrap: 2.4 MB per working array, about
what stays in a core's cache (10,000 Epoch refits: 2.7 s in chunks of 250 resamples, 4.3 s in chunks
of 1,250; ``benchmarks/bench_fit.py``)."""


@dataclass(frozen=True)
class Interval:
    """A two-sided interval and the method that made it."""

    lower: float
    upper: float
    prob: float
    method: str


@dataclass(frozen=True)
class BootstrapResult:
    """Parameter draws, shape ``(n_boot, n_params)``, one row per resample; failed rows are NaN.

    ``residuals`` are the fitted residuals (log or linear space, inflated for degrees of freedom); they
    add observation noise to prediction intervals.
    """

    param_names: tuple[str, ...]
    draws: np.ndarray
    converged: np.ndarray
    method: Method
    seed: int
    residuals: np.ndarray

    @property
    def n_boot(self) -> int:
        return int(self.draws.shape[0])

    @property
    def n_failed(self) -> int:
        return int(np.sum(~self.converged))

    @property
    def label(self) -> str:
        return f"bootstrap-{self.method} ({self.n_boot - self.n_failed} draws)"

    def good_draws(self) -> np.ndarray:
        return self.draws[self.converged]

    def samples(self) -> dict[str, np.ndarray]:
        """Converged draws by parameter name."""
        good = self.good_draws()
        return {n: good[:, j] for j, n in enumerate(self.param_names)}

    def interval(self, prob: float = 0.95) -> dict[str, Interval]:
        """Percentile interval of each parameter over the converged draws."""
        return {n: self.interval_of(operator.itemgetter(n), prob) for n in self.param_names}

    def interval_of(self, quantity: Callable[[Mapping[str, np.ndarray]], Any], prob: float = 0.95) -> Interval:
        """Percentile interval of a derived quantity, computed from every draw at once.

        ``quantity`` takes the draws by parameter name (arrays) and returns one value per draw, e.g.
        ``lambda p: p["beta"] / (p["alpha"] + p["beta"])``.
        """
        _check_prob(prob)
        values = np.asarray(quantity(self.samples()), dtype=float)
        values = values[np.isfinite(values)]
        lo, hi = np.quantile(values, [(1 - prob) / 2, (1 + prob) / 2])
        return Interval(float(lo), float(hi), prob, self.label)

    def _repr_html_(self) -> str | None:  # notebook view, drawn by the report layer (see _views)
        return _views.html(self)

    def to_dict(self) -> dict[str, Any]:
        return {
            "param_names": list(self.param_names),
            "draws": self.draws.tolist(),  # a failed draw is NaN ({"$float": "nan"} in JSON)
            "converged": self.converged.tolist(),
            "method": self.method,
            "seed": self.seed,
            "residuals": self.residuals.tolist(),
        }

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> BootstrapResult:
        # Files written before the one JSON encoding hold a failed draw as null.
        return cls(
            param_names=tuple(data["param_names"]),
            draws=np.array(
                [[np.nan if v is None else v for v in row] for row in data["draws"]], dtype=float
            ).reshape(len(data["draws"]), len(data["param_names"])),
            converged=np.array(data["converged"], dtype=bool),
            method=data["method"],
            seed=int(data["seed"]),
            residuals=np.array(data["residuals"], dtype=float),
        )


def _check_prob(prob: float) -> None:
    if not 0 < prob < 1:
        raise ArgumentError(
            f"`prob` must be strictly between 0 and 1. Got {prob!r} instead.", argument="prob"
        )


def fitted_residuals(problem: Problem, estimate: np.ndarray) -> np.ndarray:
    """Residuals at the estimate, centred, each inflated by ``1/sqrt(1 - leverage)`` (HC2).

    A fitted curve passes closer to high-leverage points (the largest and smallest scales) than the
    noise does, so their raw residuals understate it; HC2 undoes that on average.
    """
    jac, r, w = information(problem, estimate)
    sw = np.sqrt(w)[:, None] * jac[:, problem.free]
    leverage = np.einsum("ij,ji->i", sw, np.linalg.pinv(sw.T @ sw) @ sw.T)
    centred = r - np.average(r, weights=problem.weights)
    return centred / np.sqrt(np.clip(1.0 - leverage, 1e-3, 1.0))


def _resampled(
    problem: Problem,
    estimate: np.ndarray,
    n_boot: int,
    method: Method,
    rng: np.random.Generator,
    clusters: np.ndarray | None,
) -> tuple[np.ndarray | None, np.ndarray | None]:
    """Per-draw weights (point and cluster resampling) or targets (residual methods)."""
    n = problem.n_points
    if method == "pairs":
        counts = np.apply_along_axis(np.bincount, 1, rng.integers(0, n, (n_boot, n)), minlength=n)
        return counts * problem.weights, None
    if method == "cluster":
        assert clusters is not None
        labels, members = np.unique(clusters, return_inverse=True)
        k = labels.size
        counts = np.apply_along_axis(np.bincount, 1, rng.integers(0, k, (n_boot, k)), minlength=k)
        return counts[:, members] * problem.weights, None
    fitted = problem.predict(estimate[None])[0]
    r = fitted_residuals(problem, estimate)
    if method == "residual":
        noise = r[rng.integers(0, n, (n_boot, n))]
    else:
        noise = r * rng.choice([-1.0, 1.0], size=(n_boot, n))
    targets = fitted * np.exp(noise) if problem.space == "log" else fitted + noise
    return None, targets


def chunk_rows(problem: Problem, n_params: int) -> int:
    """Resamples solved together (see ``_CHUNK_ELEMENTS``)."""
    return max(1, _CHUNK_ELEMENTS // max(problem.n_points * n_params, 1))


def bootstrap_memory(problem: Problem, n_boot: int) -> int:
    """Bytes a bootstrap of ``n_boot`` resamples needs at its peak, estimated before it runs.

    Per resample and point: its weight (or target), the random indices that drew it and their counts,
    three 8-byte numbers; per resample: the draws (8 bytes per parameter), and the draws again as Python
    floats and JSON text when the fit is saved (about 80 bytes per parameter); and the solver's arrays
    for one chunk (weights, residuals, Jacobian and Hessians: about ``P**2 + 3P + 8`` doubles per
    resample and point of the chunk).
    """
    p, n = problem.n_params, problem.n_points
    rows = min(n_boot, chunk_rows(problem, p))
    return n_boot * n * 3 * 8 + n_boot * p * (8 + 80) + rows * n * (p * p + 3 * p + 8) * 8


def _refit(
    context: tuple[Problem, np.ndarray, int],
    chunk: tuple[np.ndarray | None, np.ndarray | None],
    progress: Callable[[int], None] | None = None,
) -> tuple[np.ndarray, np.ndarray]:
    """End points and convergence of one chunk of resamples (its rows of weights or targets);
    ``progress(done)`` as its resamples converge."""
    problem, estimate, max_iter = context
    weights, targets = chunk
    rows = (weights if weights is not None else targets).shape[0]  # type: ignore[union-attr]
    start = np.broadcast_to(estimate, (rows, estimate.size))
    solver = LevenbergMarquardt(max_iter=max_iter, rtol=_RESAMPLE_RTOL, log_positive=True)
    solved = solver.solve(problem, start, weights, targets=targets, progress=progress)
    return solved.params, solved.converged


def bootstrap_problem(
    problem: Problem,
    estimate: np.ndarray,
    n_boot: int,
    seed: int,
    method: Method = "pairs",
    clusters: np.ndarray | None = None,
    max_iter: int = 200,
    progress: Callable[[int, int], None] | None = None,
    executor: AbstractExecutor | None = None,
) -> BootstrapResult:
    """Refit ``problem`` on ``n_boot`` resampled data sets, batched, from ``estimate``.

    The resamples are all drawn here from ``seed``, then refitted in chunks (a few MB of working arrays
    each), here or wherever ``executor`` runs them: the draws are the same to the last bit either way.
    Here, ``progress(done, n_boot)`` is called as resamples finish; an executor counts its chunks
    through its own ``progress``.
    """
    rng = np.random.default_rng(seed)
    weights, targets = _resampled(problem, estimate, n_boot, method, rng, clusters)
    # Resamples are independent problems: solving them a chunk at a time keeps the working arrays
    # (resamples x points x parameters) in cache, so the time grows linearly with the draws. The chunks
    # are the same with or without an executor (which runs each as a task), so the bytes are too.
    size = chunk_rows(problem, estimate.size)
    spans = [(a, min(n_boot, a + size)) for a in range(0, n_boot, size)]
    chunks = [
        (None if weights is None else weights[a:b], None if targets is None else targets[a:b]) for a, b in spans
    ]
    context = (problem, estimate, max_iter)
    if executor is not None:
        names = [f"resamples {a}-{b - 1}" for a, b in spans]
        parts = executor.map(_refit, chunks, context, names=names, label="bootstrap")
    else:
        parts = []
        for (first, last), chunk in zip(spans, chunks, strict=True):
            report = None if progress is None else (lambda done, first=first: progress(first + done, n_boot))
            parts.append(_refit(context, chunk, report))
            if progress is not None:  # the chunk is finished, converged or not
                progress(last, n_boot)
    params = np.concatenate([p for p, _ in parts])
    converged = np.concatenate([c for _, c in parts])
    draws = np.where(converged[:, None], params, np.nan)
    return BootstrapResult(
        problem.names, draws, converged, method, seed, fitted_residuals(problem, estimate)
    )
