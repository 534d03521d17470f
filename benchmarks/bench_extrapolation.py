"""Extrapolation benchmark (issue 17): fit on the smaller part of each shared data set, predict the larger.

The tasks (and their splits, in code and in words) come from ``extrapolation_tasks.py``. Every
method in :data:`METHODS` is run on every task; the table gives, on the held-out rows, the mean absolute
relative error (MAPE, = ARE of the Hitchhiker's Guide), R², the coverage of the method's 95% prediction
intervals, the fit status and the time. Below it, per method: the mean error across tasks, pooled
coverage, the Hitchhiker's-Guide mean ARE (their target: about 4%; no-fit baselines about 18%) and how
much each method beats the naive baseline by.

Run:  python benchmarks/bench_extrapolation.py                   (every task but the slow Luo curves)
      python benchmarks/bench_extrapolation.py --quick           (four fast tasks, 50 bootstrap draws)
      python benchmarks/bench_extrapolation.py --with-slow       (adds the multi-power Luo task, minutes)
      python benchmarks/bench_extrapolation.py --tasks hitchhiker_colpret,chinchilla_epoch --json out.json
      python benchmarks/bench_extrapolation.py --seeds 0,1,2       (mean error and range over three seeds)
Data: ../shared/data (or the folder in SCALINGLAWS_DATA_DIR); tasks whose data are absent are skipped.

Adding a method: write ``def mine(task: Task) -> Prediction`` (or a per-part function decorated with
:func:`per_group`, which fits each group of a grouped task separately) and add it to ``METHODS``.
"""

from __future__ import annotations

import argparse
import contextlib
import json
import math
import sys
import time
import zlib
from collections import Counter
from collections.abc import Callable, Mapping, Sequence
from dataclasses import asdict, dataclass, replace
from pathlib import Path
from typing import Any

import numpy as np
import polars as pl

sys.path.insert(0, str(Path(__file__).resolve().parent))

from extrapolation_tasks import Task, describe, load_tasks

import scalinglaws as sl
from scalinglaws.data.io import write_text

PROB = 0.95
"""Nominal probability of the prediction intervals."""
SETTINGS = {"seed": 0, "n_boot": 200}
"""Seed of every random choice and the bootstrap size (set from the command line)."""


@dataclass(frozen=True)
class Prediction:
    """A method's predictions for a task's held-out rows, in the order of ``task.groups()``.

    ``lower``/``upper`` bound the 95% prediction interval (NaN where the method gives none);
    ``status`` is the fit status (``"converged"``, or counts per status over a grouped task's fits);
    ``params`` the fitted parameters of each part (for inspection; empty when a method has none).
    """

    point: np.ndarray
    lower: np.ndarray
    upper: np.ndarray
    status: str
    params: tuple[Mapping[str, float], ...] = ()


Part = tuple[np.ndarray, np.ndarray, np.ndarray, str, Mapping[str, float]]
"""One fitted part of a task: point, lower, upper, status, fitted parameters."""


def per_group(fit_part: Callable[[Task, pl.DataFrame, pl.DataFrame], Part]) -> Callable[[Task], Prediction]:
    """A method from a function fitting one part: each group of a grouped task is fitted on its own."""

    def method(task: Task) -> Prediction:
        parts = [fit_part(task, train, held) for _, train, held in task.groups()]
        counts = Counter(p[3] for p in parts)
        status = next(iter(counts)) if len(counts) == 1 else ", ".join(f"{k} x{v}" for k, v in counts.most_common())
        point, lower, upper = (np.concatenate([p[i] for p in parts]) for i in range(3))
        return Prediction(point, lower, upper, status, tuple(p[4] for p in parts))

    method.__name__ = fit_part.__name__
    method.__doc__ = fit_part.__doc__
    return method


def _rng(task: Task, train: pl.DataFrame, salt: str) -> np.random.Generator:
    """A generator seeded by the run's seed, the task and the part (stable across processes)."""
    key = f"{task.name}|{train.height}|{train[task.target].sum():.17g}|{salt}".encode()
    return np.random.default_rng([SETTINGS["seed"], zlib.crc32(key)])


# ----------------------------------------------------------------------------------- methods


def _config(task: Task) -> sl.FitConfig:
    return sl.FitConfig(mapping=task.mapping_for(task.law), target=task.target, seed=SETTINGS["seed"], **task.fit_options)  # type: ignore[arg-type]


def _fit_and_bootstrap(
    task: Task, train: pl.DataFrame, held: pl.DataFrame, cluster: bool, calibrated: bool = False, **options: Any
) -> Part:
    result = sl.fit(train, task.law, config=_config(task).with_options(**options))
    n_boot = task.n_boot if task.n_boot is not None else SETTINGS["n_boot"]
    n_boot = min(n_boot, SETTINGS["n_boot"])
    by_run = {"method": "cluster", "cluster": task.run} if cluster and task.run is not None else {}
    try:
        draws = sl.bootstrap(result, train, n_boot=n_boot, seed=SETTINGS["seed"], **by_run)  # type: ignore[arg-type]
        result = result.with_bootstrap(draws)
        if calibrated:
            result = sl.calibrate(result, train, split_by=task.scale_axis, prob=PROB)
        point, lower, upper, _ = result.predict_interval(held, PROB, kind="prediction")
    except sl.FitError:
        point = result.predict(held)
        lower = upper = np.full(point.shape, np.nan)
    return point, lower, upper, result.status.value, dict(result.params)


@per_group
def today(task: Task, train: pl.DataFrame, held: pl.DataFrame) -> Part:
    """The library's defaults: ``sl.fit``, a seeded pairs bootstrap, bootstrap prediction intervals."""
    return _fit_and_bootstrap(task, train, held, cluster=False)


@per_group
def today_cluster(task: Task, train: pl.DataFrame, held: pl.DataFrame) -> Part:
    """As ``today``, but the bootstrap resamples whole training runs where a task has several
    checkpoints per run (``task.run``): the library's ``method="cluster"``; pairs elsewhere."""
    return _fit_and_bootstrap(task, train, held, cluster=True)


@per_group
def backtest(task: Task, train: pl.DataFrame, held: pl.DataFrame) -> Part:
    """``choose="backtest"``: of the distinct optima found, the one with the lowest leave-future-out
    error along the task's scale axis."""
    return _fit_and_bootstrap(task, train, held, cluster=False, choose="backtest", choose_by=task.scale_axis)


PRIOR_PRESET = "chinchilla:hoffmann2022"
"""Priors for the Chinchilla-form tasks: Hoffmann et al.'s published constants. On the Epoch task they
are not independent of the data (Hoffmann fitted those very runs)."""
PRIOR_SEEN = frozenset({"chinchilla_epoch"})
"""Tasks whose rows :data:`PRIOR_PRESET`'s constants were fitted on: Hoffmann et al. fitted them to the
Chinchilla runs that Epoch reconstructed. A prior there knows the held-out runs, so the summary also
compares the prior methods with the default on the other tasks alone."""


def _prior_options(task: Task, width: float) -> dict[str, Any]:
    """Priors at :data:`PRIOR_PRESET` with sd ``width`` x each value, for laws with the Chinchilla terms."""
    if {"E", "A", "B", "alpha", "beta"} <= set(sl.get_law(task.law).param_names):
        return {"prior_from": PRIOR_PRESET, "prior_width": width}
    return {}


@per_group
def priors(task: Task, train: pl.DataFrame, held: pl.DataFrame) -> Part:
    """MAP fits with priors at Hoffmann et al.'s constants, sd 25% of each value (Chinchilla-form laws;
    the others as today)."""
    return _fit_and_bootstrap(task, train, held, cluster=False, **_prior_options(task, 0.25))


@per_group
def weak_priors(task: Task, train: pl.DataFrame, held: pl.DataFrame) -> Part:
    """As ``priors`` with sd 100% of each value: weakly informative."""
    return _fit_and_bootstrap(task, train, held, cluster=False, **_prior_options(task, 1.0))


@per_group
def weak_priors_calibrated(task: Task, train: pl.DataFrame, held: pl.DataFrame) -> Part:
    """``weak_priors`` with intervals calibrated by leave-future-out errors (``sl.calibrate``)."""
    return _fit_and_bootstrap(task, train, held, cluster=False, calibrated=True, **_prior_options(task, 1.0))


@per_group
def calibrated(task: Task, train: pl.DataFrame, held: pl.DataFrame) -> Part:
    """Today's fit and bootstrap, with intervals scaled by leave-future-out errors on the training rows
    (``sl.calibrate``)."""
    return _fit_and_bootstrap(task, train, held, cluster=False, calibrated=True)


@per_group
def average(task: Task, train: pl.DataFrame, held: pl.DataFrame) -> Part:
    """Stacking over the task's candidate laws and every law's sound optima (``sl.average``)."""
    config = _config(task)
    n_boot = min(task.n_boot if task.n_boot is not None else SETTINGS["n_boot"], SETTINGS["n_boot"])
    fits = []
    for law in task.laws:
        fitted = sl.fit(train, law, config=config.with_options(mapping=task.mapping_for(law)))
        with contextlib.suppress(sl.FitError):
            fitted = fitted.with_bootstrap(sl.bootstrap(fitted, train, n_boot=n_boot, seed=SETTINGS["seed"]))
        fits.append(fitted)
    try:
        mixture = sl.average(fits, train, split_by=task.scale_axis, basins=True)
    except (sl.ArgumentError, sl.DataError):
        return _fit_and_bootstrap(task, train, held, cluster=False)
    try:
        point, lower, upper, _ = mixture.predict_interval(held, PROB, kind="prediction")
    except sl.FitError:
        point = mixture.predict(held)
        lower = upper = np.full(point.shape, np.nan)
    return point, lower, upper, fits[0].status.value, dict(fits[0].params)


NAIVE_STARTS = 8
"""Random starts of the naive baseline."""
HOFFMANN_BOX = {"E": ("log", -1.0, 1.0), "A": ("log", 0.0, 25.0), "B": ("log", 0.0, 25.0),
                "alpha": ("linear", 0.0, 2.0), "beta": ("linear", 0.0, 2.0)}
"""Hoffmann et al. App. D.2's initialisation grid as a box: e = log E in [-1, 1], a = log A and
b = log B in [0, 25], alpha and beta in [0, 2]."""
NAIVE_BOXES: Mapping[str, Mapping[str, tuple[str, float, float]]] = {
    "chinchilla": HOFFMANN_BOX,
    "muennighoff": HOFFMANN_BOX,  # R_N and R_D: the law's own start ranges
    "gadre_overtrain": {"E": HOFFMANN_BOX["E"], "a": HOFFMANN_BOX["A"], "b": HOFFMANN_BOX["B"]},
    "multi_power": {"L0": ("log", -1.0, 1.5), "A": ("log", -3.0, 3.0), "B": ("log", 0.0, 10.0)},
}
"""Start boxes of the naive baseline, per law and parameter: (scale, lo, hi), log-scale ends in
natural log. Parameters not listed start in the law's declared start range; a positive parameter
without one starts with log value in [-2, 10]."""


def _box(law: sl.Law, name: str) -> tuple[str, float, float]:
    listed = NAIVE_BOXES.get(law.name, {})
    if name in listed:
        return listed[name]
    spec = law.spec(name)
    if spec.init is None and spec.lower == 0 and math.isinf(spec.upper):
        return ("log", -2.0, 10.0)
    lo, hi = spec.init_range
    return ("log", math.log(lo), math.log(hi)) if spec.init_scale == "log" else ("linear", lo, hi)


def _columns(task: Task, frame: pl.DataFrame, law: sl.Law) -> dict[str, np.ndarray]:
    rule = sl.ColumnMap(task.mapping_for(law.name))
    out = {}
    for symbol in law.inputs:
        column = rule.column(symbol, frame.columns)
        if column is None:
            raise sl.MissingColumnError(f"task {task.name!r}: no column for input {symbol!r} of {law.name!r}.")
        out[symbol] = np.asarray(frame[column].to_numpy(), dtype=float)
    return out


def _law_values(law: sl.Law, params: Mapping[str, float], x: Mapping[str, np.ndarray]) -> np.ndarray:
    """``law.predict``, NaN where the parameters leave the law's domain (scalar arithmetic such as
    ``0.0 ** -1`` raises instead of giving inf)."""
    try:
        with np.errstate(all="ignore"):
            return law.predict(params, x)
    except (ZeroDivisionError, OverflowError, FloatingPointError):
        return np.full(next(iter(x.values())).shape[0], np.nan)


def _huber(r: np.ndarray, delta: float) -> float:
    a = np.abs(r)
    return float(np.sum(np.where(a <= delta, 0.5 * r * r, delta * (a - 0.5 * delta))))


@per_group
def naive(task: Task, train: pl.DataFrame, held: pl.DataFrame) -> Part:
    """What practitioners do: scipy L-BFGS-B (numerical gradients, scipy's default tolerances) on
    the same objective (Huber, delta 1e-3, on log residuals, summed) from 8 seeded random starts in
    Hoffmann's grid box (:data:`NAIVE_BOXES`); positive unbounded parameters are fitted as logs, as
    Hoffmann et al. do. No variable projection.

    Interval: a residual band, ``exp(log prediction +- t(n - p) * s)`` with ``s`` the RMS of the
    training log residuals over ``n - p``: observation noise only, no parameter uncertainty (what a
    practitioner reads off the fit's scatter).
    """
    from scipy.optimize import minimize
    from scipy.special import stdtrit

    law = sl.get_law(task.law)
    x, x_held = _columns(task, train, law), _columns(task, held, law)
    y = train[task.target].to_numpy().astype(float)
    free = [n for n in law.param_names if n not in law.fixed]
    logged = [law.spec(n).lower == 0 and math.isinf(law.spec(n).upper) for n in free]
    bounds = [(None, None) if lg else (_finite(law.spec(n).lower), _finite(law.spec(n).upper))
              for n, lg in zip(free, logged, strict=True)]

    def decode(z: np.ndarray) -> dict[str, float]:
        with np.errstate(over="ignore"):  # exp of a wild step is inf: the objective then rejects it
            values = {n: float(np.exp(v)) if lg else float(v) for n, v, lg in zip(free, z, logged, strict=True)}
        return {**dict(law.fixed), **values}

    def objective(z: np.ndarray) -> float:
        with np.errstate(all="ignore"):
            r = np.log(_law_values(law, decode(z), x)) - np.log(y)
            value = _huber(r, 1e-3)
        return value if math.isfinite(value) else 1e10  # L-BFGS-B backs off from a large finite value

    rng = _rng(task, train, "naive")
    best = None
    for _ in range(NAIVE_STARTS):
        z0 = []
        for n, lg in zip(free, logged, strict=True):
            scale, lo, hi = _box(law, n)
            start = float(np.exp(rng.uniform(lo, hi))) if scale == "log" else float(rng.uniform(lo, hi))
            z0.append(math.log(start) if lg else start)
        solved = minimize(objective, np.array(z0), method="L-BFGS-B", bounds=bounds)
        if best is None or solved.fun < best.fun:
            best = solved
    assert best is not None
    params = decode(best.x)
    with np.errstate(all="ignore"):
        point = _law_values(law, params, x_held)
        r = np.log(_law_values(law, params, x)) - np.log(y)
    dof = y.size - len(free)
    if dof > 0 and np.all(np.isfinite(r)):
        half = float(stdtrit(dof, (1 + PROB) / 2)) * math.sqrt(float(np.sum(r * r)) / dof)
        lower, upper = point * math.exp(-half), point * math.exp(half)
    else:
        lower = upper = np.full(point.shape, np.nan)
    return point, lower, upper, "converged" if best.success else "not-converged", params


def _finite(value: float) -> float | None:
    return value if math.isfinite(value) else None


def best_seen(task: Task) -> Prediction:
    """No fit: every held-out row gets the lowest training loss of its part (ColPret's `PredictBest`
    no-fit baseline, one of the Hitchhiker's Guide's ~18%-ARE references). No interval."""
    point = np.concatenate([
        np.full(held.height, float(train[task.target].min())) for _, train, held in task.groups()
    ])
    return Prediction(point, np.full(point.shape, np.nan), np.full(point.shape, np.nan), "no fit")


METHODS: dict[str, Callable[[Task], Prediction]] = {
    "today": today,
    "naive": naive,
    "backtest": backtest,
    "priors": priors,
    "average": average,
    "calibrated": calibrated,
    "weak_priors": weak_priors,
    "weak_priors_calibrated": weak_priors_calibrated,
}
"""Method name -> method. ``today`` is the library default that the others are compared with (the
degenerate-optimum guard is part of the engine, so every method has it)."""
REFERENCES: dict[str, Callable[[Task], Prediction]] = {"best_seen": best_seen, "today_cluster": today_cluster}
"""Methods run only when named in ``--methods``: a no-fit reference and a run-level bootstrap variant."""
DEFAULT, BASELINE = "today", "naive"
PRIOR_METHODS = frozenset({"priors", "weak_priors", "weak_priors_calibrated"})
"""The methods that fit with priors at :data:`PRIOR_PRESET`."""


# ------------------------------------------------------------------------------------ scores


@dataclass(frozen=True)
class Score:
    task: str
    method: str
    law: str
    n_train: int
    n_held: int
    mape: float
    r2: float
    coverage: float
    objective: float
    n_covered: int
    n_with_interval: int
    status: str
    seconds: float
    headline: bool
    family: str | None
    seeds: tuple[int, ...] = ()
    mape_min: float = float("nan")
    mape_max: float = float("nan")


def train_objective(task: Task, params: Sequence[Mapping[str, float]]) -> float:
    """The fitted parameters' objective on the training rows, summed over parts: Huber (delta 1e-3)
    on log residuals, the objective of both ``today`` and ``naive`` (NaN without parameters)."""
    if len(params) != len(list(task.groups())):
        return float("nan")
    law = sl.get_law(task.law)
    total = 0.0
    for values, (_, train, _) in zip(params, task.groups(), strict=True):
        with np.errstate(all="ignore"):
            r = np.log(_law_values(law, values, _columns(task, train, law))) - np.log(train[task.target].to_numpy())
        total += _huber(r, 1e-3)
    return total


def score(task: Task, method: str, prediction: Prediction | None, seconds: float, error: str = "") -> Score:
    """MAPE (mean |prediction - y| / y), R² (about the held-out mean; NaN below 3 rows) and the coverage
    of the intervals on the held-out rows; the in-sample objective of the fitted parameters."""
    y = task.held_target
    nan = float("nan")
    mape = r2 = coverage = objective = nan
    covered = with_interval = 0
    status = f"error: {error}" if prediction is None else prediction.status
    if prediction is not None:
        point = prediction.point
        if point.shape != y.shape:
            raise ValueError(f"method {method!r} on {task.name!r}: {point.shape} predictions for {y.shape} rows.")
        if np.all(np.isfinite(point)):
            mape = float(np.mean(np.abs(point - y) / y))
            if y.size >= 3:
                r2 = float(1 - np.sum((point - y) ** 2) / np.sum((y - y.mean()) ** 2))
        else:
            status += f" ({int(np.sum(~np.isfinite(point)))} non-finite predictions)"
        has = np.isfinite(prediction.lower) & np.isfinite(prediction.upper)
        with_interval = int(has.sum())
        covered = int(np.sum(has & (prediction.lower <= y) & (y <= prediction.upper)))
        if with_interval == y.size:
            coverage = covered / y.size
        objective = train_objective(task, prediction.params)
    return Score(task.name, method, task.law, task.train.height, y.size, mape, r2, coverage, objective, covered,
                 with_interval, status, seconds, task.headline, task.family, (SETTINGS["seed"],), mape, mape)


def run(
    tasks: Sequence[Task], methods: Mapping[str, Callable[[Task], Prediction]], seeds: Sequence[int] = (0,)
) -> list[Score]:
    """Every method on every task, once per seed (one score each)."""
    scores = []
    for task in tasks:
        begin = time.perf_counter()
        for seed in seeds:
            SETTINGS["seed"] = seed
            for name, method in methods.items():
                start = time.perf_counter()
                try:
                    prediction, error = method(task), ""
                except Exception as exc:  # noqa: BLE001 - a method failing on one task is a row of the table
                    prediction, error = None, f"{type(exc).__name__}: {exc}"[:120]
                scores.append(score(task, name, prediction, time.perf_counter() - start, error))
        print(f"  {task.name}: {time.perf_counter() - begin:.1f} s", file=sys.stderr, flush=True)
    return scores


def combine(scores: Sequence[Score]) -> list[Score]:
    """One score per (task, method) over its seeds: mean MAPE (with the min and max), mean R², coverage
    pooled over the seeds' rows, mean objective and time, the statuses seen."""
    groups: dict[tuple[str, str], list[Score]] = {}
    for s in scores:
        groups.setdefault((s.task, s.method), []).append(s)
    out = []
    for runs in groups.values():
        first = runs[0]
        mapes = [s.mape for s in runs]
        with_interval = sum(s.n_with_interval for s in runs)
        covered = sum(s.n_covered for s in runs)
        complete = with_interval == first.n_held * len(runs)
        statuses = Counter(s.status for s in runs)
        out.append(replace(
            first,
            mape=float(np.mean(mapes)),
            r2=float(np.mean([s.r2 for s in runs])),
            coverage=covered / with_interval if complete and with_interval else float("nan"),
            objective=float(np.mean([s.objective for s in runs])),
            n_covered=covered,
            n_with_interval=with_interval,
            status=first.status if len(statuses) == 1 else "; ".join(f"{k} x{v}" for k, v in statuses.items()),
            seconds=float(np.mean([s.seconds for s in runs])),
            seeds=tuple(seed for s in runs for seed in s.seeds),
            mape_min=float(np.min(mapes)),
            mape_max=float(np.max(mapes)),
        ))
    return out


def _mean(values: Sequence[float]) -> float:
    finite = [v for v in values if math.isfinite(v)]
    return float(np.mean(finite)) if finite else float("nan")


def summarise(scores: Sequence[Score], methods: Sequence[str]) -> dict[str, Any]:
    """Per method over the headline tasks: mean MAPE, pooled and per-task coverage, Hitchhiker mean
    ARE; and for each method against the baseline, the error reduction and the tasks won."""
    out: dict[str, Any] = {}
    head = [s for s in scores if s.headline]
    for method in methods:
        mine = [s for s in head if s.method == method]
        complete = [s for s in mine if math.isfinite(s.coverage)]
        rows = sum(s.n_with_interval for s in complete)
        out[method] = {
            "n_tasks": len(mine),
            "n_failed": sum(not math.isfinite(s.mape) for s in mine),
            "mean_mape": _mean([s.mape for s in mine]),
            "pooled_coverage": sum(s.n_covered for s in complete) / rows
            if rows else float("nan"),
            "mean_task_coverage": _mean([s.coverage for s in mine]),
            "hitchhiker_mean_are": _mean([s.mape for s in mine if s.family == "hitchhiker"]),
            "hitchhiker_families": [s.task for s in mine if s.family == "hitchhiker"],
        }
    base = {s.task: s.mape for s in head if s.method == BASELINE}
    for method in methods:
        if method == BASELINE:
            continue
        pairs = [(s.mape, base[s.task]) for s in head if s.method == method and s.task in base
                 and math.isfinite(s.mape) and math.isfinite(base[s.task])]
        if not pairs:
            continue
        ours, theirs = np.mean([p[0] for p in pairs]), np.mean([p[1] for p in pairs])
        out[method]["vs_baseline"] = {
            "n_tasks": len(pairs),
            "mean_mape": float(ours),
            "baseline_mean_mape": float(theirs),
            "error_reduction": float(1 - ours / theirs),
            "tasks_won": sum(a < b for a, b in pairs),
        }
    default = {s.task: s.mape for s in head if s.method == DEFAULT and s.task not in PRIOR_SEEN}
    for method in [m for m in methods if m in PRIOR_METHODS]:
        pairs = [(s.mape, default[s.task]) for s in head if s.method == method and s.task in default
                 and math.isfinite(s.mape) and math.isfinite(default[s.task])]
        if pairs:
            out[method]["vs_default_prior_unseen"] = {
                "n_tasks": len(pairs),
                "mean_mape": float(np.mean([p[0] for p in pairs])),
                "default_mean_mape": float(np.mean([p[1] for p in pairs])),
                "tasks_lower": sum(a < b for a, b in pairs),
                "tasks_higher": sum(a > b for a, b in pairs),
            }
    return out


# ------------------------------------------------------------------------------------ output


def _pct(value: float, digits: int = 2) -> str:
    return f"{100 * value:.{digits}f}%" if math.isfinite(value) else "-"


def table(scores: Sequence[Score]) -> str:
    spread = any(len(s.seeds) > 1 for s in scores)
    header = (f"{'task':<48} {'method':<13} {'train':>6} {'held':>5} {'MAPE':>8} "
              + (f"{'(min-max over seeds)':>21} " if spread else "")
              + f"{'R2':>8} {'cover95':>8} {'train obj':>10} {'time':>7}  status")
    lines = [header]
    for s in scores:
        name = s.task + ("" if s.headline else " *")
        r2 = f"{s.r2:8.3f}" if math.isfinite(s.r2) else f"{'-':>8}"
        between = f"{_pct(s.mape_min) + '-' + _pct(s.mape_max):>21} " if spread else ""
        lines.append(f"{name:<48} {s.method:<13} {s.n_train:>6} {s.n_held:>5} {_pct(s.mape):>8} {between}{r2} "
                     f"{_pct(s.coverage, 0):>8} {s.objective:>10.4g} {s.seconds:>6.1f}s  {s.status}")
    lines.append(
        "(* not in the means: one smaller model size. MAPE = mean |pred - y|/y over the held-out rows (= ARE)"
        + (", averaged over the seeds" if spread else "")
        + ". R2 about the held-out mean, '-' below 3 rows; it means little where the held-out rows barely vary "
        "(the tail of one training curve). cover95 = share of held-out rows inside the 95% prediction "
        "interval (pooled over seeds), '-' when the method gives none. train obj = Huber(1e-3) on log "
        "residuals of the training rows at the fitted parameters, summed over parts. time per seed.)"
    )
    return "\n".join(lines)


def summary_text(summary: Mapping[str, Any]) -> str:
    lines = []
    for method, s in summary.items():
        failed = f", {s['n_failed']} failed" if s["n_failed"] else ""
        lines.append(
            f"{method:<13} mean MAPE {_pct(s['mean_mape'])} over {s['n_tasks']} tasks{failed}; coverage pooled "
            f"over rows {_pct(s['pooled_coverage'], 1)}, mean over tasks {_pct(s['mean_task_coverage'], 1)}; "
            f"Hitchhiker mean ARE {_pct(s['hitchhiker_mean_are'])} ({len(s['hitchhiker_families'])} families; "
            "target ~4%, no-fit baselines ~18%)"
        )
    for method, s in summary.items():
        v = s.get("vs_baseline")
        if v:
            verdict = "beats" if v["error_reduction"] >= 0 else "loses to"
            lines.append(
                f"{method} {verdict} {BASELINE} by {_pct(abs(v['error_reduction']), 1)} in mean error "
                f"({_pct(v['mean_mape'])} vs {_pct(v['baseline_mean_mape'])} over {v['n_tasks']} tasks); "
                f"lower error on {v['tasks_won']} of {v['n_tasks']} tasks"
            )
    for method, s in summary.items():
        u = s.get("vs_default_prior_unseen")
        if u:
            lines.append(
                f"{method} on the {u['n_tasks']} tasks whose rows the prior was not fitted on: mean MAPE "
                f"{_pct(u['mean_mape'])} vs {DEFAULT}'s {_pct(u['default_mean_mape'])}; lower on "
                f"{u['tasks_lower']}, higher on {u['tasks_higher']}"
            )
    return "\n".join(lines)


def _jsonable(value: Any) -> Any:
    if isinstance(value, float):
        return value if math.isfinite(value) else None
    if isinstance(value, Mapping):
        return {k: _jsonable(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [_jsonable(v) for v in value]
    return value


QUICK = ("chinchilla_epoch", "overtrain_gadre2024", "hitchhiker_opt", "hitchhiker_lamda")
"""The ``--quick`` subset: four tasks that fit in seconds."""


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--tasks", help="comma-separated data sets or task names (default: all but the slow)")
    parser.add_argument("--methods", default=",".join(METHODS),
                        help=f"comma-separated, of {[*METHODS, *REFERENCES]} (default: {list(METHODS)})")
    parser.add_argument("--quick", action="store_true", help=f"tasks {', '.join(QUICK)}, 50 bootstrap draws")
    parser.add_argument("--with-slow", action="store_true", help="also the multi-power Luo task (minutes)")
    parser.add_argument("--n-boot", type=int, default=None, help="bootstrap draws (default 200; 50 with --quick)")
    parser.add_argument("--seeds", default="0",
                        help="comma-separated seeds; with several, each method runs once per seed and the table "
                             "gives the mean error and its range (the naive baseline's starts are random)")
    parser.add_argument("--json", type=Path, help="also write the scores and summary to this JSON file")
    args = parser.parse_args()
    seeds = [int(x) for x in args.seeds.split(",")]
    SETTINGS["n_boot"] = args.n_boot if args.n_boot is not None else (50 if args.quick else 200)
    known = {**METHODS, **REFERENCES}
    unknown = [m for m in args.methods.split(",") if m not in known]
    if unknown:
        parser.error(f"unknown method(s) {unknown}; known: {list(known)}")
    methods = {m: known[m] for m in args.methods.split(",")}
    select = args.tasks.split(",") if args.tasks else (list(QUICK) if args.quick else None)
    try:
        tasks = load_tasks(select, include_slow=args.with_slow)
    except ValueError as exc:
        parser.error(str(exc))
    print(f"tasks (seeds {seeds}, {SETTINGS['n_boot']} bootstrap draws, {int(100 * PROB)}% prediction intervals):")
    print(describe(tasks))
    print()
    raw = run(tasks, methods, seeds)
    scores = combine(raw)
    summary = summarise(scores, list(methods))
    print(table(scores))
    print()
    print(summary_text(summary))
    if args.json is not None:
        document = {
            "settings": {"seeds": seeds, "n_boot": SETTINGS["n_boot"], "prob": PROB, "methods": list(methods)},
            "tasks": [{"name": t.name, "dataset": t.dataset, "law": t.law, "laws": list(t.laws), "note": t.note,
                       "n_train": t.train.height, "n_held": t.held.height, "scale_axis": t.scale_axis,
                       "headline": t.headline, "family": t.family} for t in tasks],
            "scores": [asdict(s) for s in scores],
            "scores_per_seed": [asdict(s) for s in raw],
            "summary": summary,
        }
        write_text(args.json, json.dumps(_jsonable(document), indent=2, allow_nan=False) + "\n")


if __name__ == "__main__":
    main()
