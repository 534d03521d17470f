"""Immutable results of a fit, separate from the engine that made them."""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import dataclass, field, replace
from functools import cached_property
from pathlib import Path
from types import MappingProxyType
from typing import Any, Literal

import numpy as np

from scalinglaws import _views
from scalinglaws._validation import close_names
from scalinglaws.data import strict_json as _json
from scalinglaws.data.io import columns_of, write_text
from scalinglaws.errors import ArgumentError, DataError, FitError, MissingColumnError
from scalinglaws.fit import _fitfile
from scalinglaws.fit.config import FitConfig
from scalinglaws.fit.covariance import FitStatus
from scalinglaws.fit.diagnostics import Diagnostic
from scalinglaws.fit.layout import ParamLayout
from scalinglaws.fit.optima import Optimum
from scalinglaws.fit.priors import PriorEffect
from scalinglaws.fit.priors import report as prior_report
from scalinglaws.fit.resampling import BootstrapResult, Interval
from scalinglaws.laws import Law, evaluate

__all__ = ["SCHEMA_VERSION", "FitConfig", "FitResult", "FitStatus"]

SCHEMA_VERSION = 1


@dataclass(frozen=True)
class FitResult:
    """A fitted law. Immutable; ``to_json``/``from_json`` (and ``save``/``scalinglaws.load``)
    round-trip it exactly.

    ``params`` maps parameter names to values, fixed parameters included. In a grouped fit the entries
    follow :attr:`layout`: a per-group parameter appears once per group (displayed ``"A[group]"``),
    ``groups`` maps each group to its full parameter set and ``params_for(group)`` gives one of them.
    """

    law: Law
    params: Mapping[str, float]
    status: FitStatus
    message: str
    objective: float
    rss: float
    n_points: int
    n_params: int
    nfev: int
    n_starts: int
    n_converged: int
    starts: tuple[Mapping[str, float], ...]
    covariance: np.ndarray | None
    stderr: Mapping[str, float] | None
    config: FitConfig
    data_digest: str
    version: str
    groups: Mapping[str, Mapping[str, float]] | None = None
    input_ranges: Mapping[str, tuple[float, float]] = field(default_factory=dict)
    diagnostics: tuple[Diagnostic, ...] = ()
    bootstrap: BootstrapResult | None = None
    optima: tuple[Optimum, ...] = ()
    """Every distinct optimum the multistart found, best in-sample first; the fit is the ``chosen`` one."""
    priors: Mapping[str, tuple[float, float]] = field(default_factory=dict)
    """The normal priors ``(mean, sd)`` the fit used, by law parameter (empty: none)."""
    prior_weight: float | None = None
    interval_scale: float = 1.0
    """Factor on the half-width of every prediction interval, from leave-future-out calibration
    (:func:`scalinglaws.calibrate`); 1 when the intervals are the law's own."""
    group_covariance: Mapping[str, np.ndarray] | None = None
    """For a grouped fit: each group's covariance over its law parameters (law order, shared included),
    which is all a prediction for that group needs (kept even where ``covariance`` is too big to store)."""
    """The factor that put the priors in the objective's units (kept so refits use the same objective)."""
    tss: float | None = None
    """Weighted total sum of squares of the target about its mean, in the fit's residual space (log or
    linear): with ``rss`` it gives :attr:`r_squared`. None for fits saved before it was recorded."""

    def __post_init__(self) -> None:
        # Frozen all the way down: the mappings are read-only views and the covariance read-only.
        freeze = object.__setattr__
        freeze(self, "params", MappingProxyType(dict(self.params)))
        if self.stderr is not None:
            freeze(self, "stderr", MappingProxyType(dict(self.stderr)))
        if self.groups is not None:
            freeze(self, "groups", MappingProxyType({g: MappingProxyType(dict(p)) for g, p in self.groups.items()}))
        freeze(self, "input_ranges", MappingProxyType(dict(self.input_ranges)))
        freeze(self, "priors", MappingProxyType({k: (float(m), float(sd)) for k, (m, sd) in self.priors.items()}))
        if self.covariance is not None:
            covariance = np.array(self.covariance, dtype=float)
            covariance.setflags(write=False)
            freeze(self, "covariance", covariance)
        if self.group_covariance is not None:
            blocks = {}
            for g, block in self.group_covariance.items():
                frozen = np.array(block, dtype=float)
                frozen.setflags(write=False)
                blocks[g] = frozen
            freeze(self, "group_covariance", MappingProxyType(blocks))

    def __eq__(self, other: object) -> bool:
        # The generated field-wise __eq__ raises on the covariance array ("truth value of an array is
        # ambiguous"); two results are equal when they serialise identically (exact float repr).
        if not isinstance(other, FitResult):
            return NotImplemented
        return self.to_json() == other.to_json()

    def __hash__(self) -> int:
        return hash(self.to_json())

    @property
    def is_usable(self) -> bool:
        return self.status is FitStatus.CONVERGED

    @cached_property
    def layout(self) -> ParamLayout:
        """Where each law parameter of each group sits in ``params`` (and in bootstrap draws)."""
        groups = None if self.groups is None else tuple(self.groups)
        return ParamLayout(self.law.param_names, groups, tuple(self.config.shared))

    @property
    def fixed(self) -> tuple[str, ...]:
        """Names in ``params`` of the parameters held at a value (not fitted, no standard error)."""
        held = self.law.fixed
        return tuple(n for n, base in zip(self.layout.names, self.layout.base_names, strict=True) if base in held)

    def params_for(self, group: str | None = None) -> Mapping[str, float]:
        """The law's parameters for ``group`` (or the only set in an ungrouped fit).

        Raises
        ------
        DataError
            If the fit is grouped and ``group`` is not one of its groups.
        """
        if self.groups is None:
            return self.params
        if group is None or group not in self.groups:
            raise DataError(
                f"`group` must be one of the fitted groups {sorted(self.groups)}. Got {group!r} instead."
            )
        return self.groups[group]

    def predict(self, data: Any) -> np.ndarray:
        """Predict the target for each row of ``data`` (a frame, or a mapping of column -> array).

        The rows must be in the law's domain, as in the fit: finite, and positive where the law raises
        an input to a power or takes its log (N <= 0 is an error, not a NaN).

        Raises
        ------
        MissingColumnError
            If a column the law reads (after the fit's ``mapping``) is absent.
        SchemaError
            If such a column is not numeric (the message shows the rows that are not numbers).
        DataError
            If rows are outside the law's domain, or a grouped fit is asked about a group it has not seen.
        """
        self._inputs(data, check=True)
        return self._evaluate(self.params, data)[0]

    def predict_frame(
        self, data: Any, prob: float | None = None, kind: Literal["confidence", "prediction"] = "confidence"
    ) -> Any:
        """``data`` with a ``prediction`` column (and ``lower``, ``upper``, ``interval_method`` when
        ``prob`` is given), as a frame of the same library: pandas in, pandas out; polars in, polars
        out (anything else, such as a path or a mapping of columns, gives a polars frame).

        Raises
        ------
        ArgumentError
            If ``prob`` is not strictly between 0 and 1.
        MissingColumnError, SchemaError, DataError
            As :meth:`predict`.
        """
        import polars as pl

        from scalinglaws.data.io import read_runs

        columns: dict[str, Any] = {}
        if prob is None:
            columns["prediction"] = self.predict(data)
        else:
            point, lower, upper, method = self.predict_interval(data, prob, kind)
            columns |= {"prediction": point, "lower": lower, "upper": upper, "interval_method": method}
        if type(data).__module__.startswith("pandas"):
            out = data.copy()
            for name, values in columns.items():
                out[name] = values
            return out
        frame = read_runs(data)
        return frame.with_columns(
            pl.Series(n, v) if isinstance(v, np.ndarray) else pl.lit(v).alias(n) for n, v in columns.items()
        )

    def with_bootstrap(self, draws: BootstrapResult) -> FitResult:
        """A copy of this result carrying bootstrap draws (saved with it)."""
        if tuple(draws.param_names) != tuple(self.params):
            raise ArgumentError(
                f"`draws` are for parameters {list(draws.param_names)}, not {list(self.params)}.",
            argument="draws",
        )
        return replace(self, bootstrap=draws)

    def _inputs(
        self, data: Any, *, check: bool = False
    ) -> tuple[dict[str, np.ndarray], np.ndarray | None]:
        """The law's inputs from ``data`` (and the group labels); with ``check``, the rows must be in the
        law's domain as a fit requires (finite, and positive where the law takes a power or a log)."""
        from scalinglaws.fit.gate import check_rows, float_column

        columns = columns_of(data, "predict")
        inputs = {}
        for name in self.law.inputs:
            column = self.config.mapping.get(name, name)
            if column not in columns:
                near = close_names(column, columns)
                raise MissingColumnError(
                    f"column {column!r} (input `{name}` of law {self.law.label!r}) is missing from the "
                    f"data to predict. Available columns: {sorted(columns)}.{near}"
                )
            inputs[name] = float_column(columns, column, f"input `{name}`")
            if check:
                values = inputs[name]
                check_rows(column, f"input `{name}`", values, ~np.isfinite(values), "finite",
                           "Drop or fill these rows before predicting.")
                if name in self.law.positive_inputs:
                    check_rows(column, f"input `{name}`", values, values <= 0, "positive",
                               f"Law {self.law.label!r} raises `{name}` to a power or takes its log, as "
                               "the fit did; check units or drop these rows.")
        if self.law.compiled.history_inputs:
            self.law.check_history_shapes(inputs, "predict")
        if self.groups is None:
            return inputs, None
        group_column = self.config.group or ""
        if group_column not in columns:
            raise MissingColumnError(
                f"column {group_column!r} (the fit's group column) is missing from the data to predict."
            )
        labels = np.asarray([str(g) for g in columns[group_column]])
        unknown = sorted(set(labels.tolist()) - set(self.groups))
        if unknown:
            raise DataError(
                f"column {group_column!r} has groups {unknown[:5]} that the fit has not seen; "
                f"fitted groups: {sorted(self.groups)}."
            )
        return inputs, labels

    def _law_params(self, values: Mapping[str, Any], group: str | None) -> list[Any]:
        """The law's parameters of ``group`` in law order, from values by display name."""
        return list(self.layout.group_values(values, group).values())

    def _evaluate(self, values: Mapping[str, Any], data: Any) -> np.ndarray:
        """Law at every row of ``data`` for parameter values that may be arrays of shape (B, 1)."""
        inputs, labels = self._inputs(data)
        n = next(iter(inputs.values())).shape[0] if inputs else 0
        batch = np.broadcast_shapes(*(np.shape(v) for v in values.values()))[:1] or (1,)
        out = np.full((batch[0], n), np.nan)
        for label in [None] if labels is None else np.unique(labels).tolist():
            rows = np.ones(n, dtype=bool) if label is None else labels == label
            args = [v[rows] for v in inputs.values()]
            out[:, rows] = evaluate(
                self.law.compiled.value,
                *args,
                *self._law_params(values, label),
                shape=(batch[0], int(rows.sum())),
            )
        return out

    def predict_interval(
        self, data: Any, prob: float = 0.95, kind: Literal["confidence", "prediction"] = "confidence"
    ) -> tuple[np.ndarray, np.ndarray, np.ndarray, str]:
        """Point prediction with a ``prob`` interval for each row, and the method that made it.

        ``confidence`` covers the law's value (the expected loss); ``prediction`` also covers the noise
        of a new run. The standard error (in the fit's residual space) comes from the bootstrap draws
        when the result carries them (``with_bootstrap``), otherwise from the covariance (delta
        method). The interval is ``prediction ± t(n - p) * sqrt(n / (n - p)) * se``: the Student-t
        quantile and the degrees-of-freedom factor correct the small-sample underestimate of the
        spread, which `benchmarks/bench_coverage.py` measures (percentile intervals covered 87-89%
        at nominal 95% on 30-run ladders, 10x beyond the largest compute).

        Raises
        ------
        FitError
            If the result has neither bootstrap draws nor a covariance.
        """
        if not 0 < prob < 1:
            raise ArgumentError(
                f"`prob` must be strictly between 0 and 1. Got {prob!r} instead.",
                argument="prob", function="predict_interval",
            )
        point = self.predict(data)
        log = self.config.space == "log"
        with np.errstate(all="ignore"):  # a law may be negative far outside its data; the log is NaN there
            centre = np.log(point) if log else point
        n, p = self.n_points, self.n_params
        if self.bootstrap is not None:
            good = self.bootstrap.good_draws()
            curves = self._evaluate({n: good[:, j, None] for j, n in enumerate(self.bootstrap.param_names)}, data)
            with np.errstate(all="ignore"):
                spread = np.nanstd(np.log(curves) if log else curves, axis=0, ddof=1)
            noise = float(np.var(self.bootstrap.residuals))
            method = self.bootstrap.label
        else:
            spread = self._delta_standard_error(data, point)
            noise = self.rss / max(n - p, 1)
            method = "delta-method"
        se = spread * np.sqrt(n / max(n - p, 1))
        if kind == "prediction":
            se = np.sqrt(se**2 + noise)
        from scipy.special import stdtrit

        half = float(stdtrit(max(n - p, 1), (1 + prob) / 2)) * se * self.interval_scale
        if self.interval_scale != 1.0:
            method = f"{method}, calibrated x{self.interval_scale:.3g} by leave-future-out errors"
        lower, upper = centre - half, centre + half
        if log:
            return point, np.exp(lower), np.exp(upper), method
        return point, lower, upper, method

    def covariance_of(self, group: str | None = None) -> np.ndarray | None:
        """The covariance of the law's parameters (law order) for ``group`` (or of an ungrouped fit)."""
        if self.groups is None:
            return self.covariance
        if self.group_covariance is not None:
            return self.group_covariance.get(str(group))
        if self.covariance is None:
            return None
        index = self.layout.index(group)
        return self.covariance[np.ix_(index, index)]

    def _delta_standard_error(self, data: Any, point: np.ndarray) -> np.ndarray:
        """Standard error of the prediction in the residual space, from the covariance (per group in a
        grouped fit: a group's prediction depends on its law parameters only)."""
        missing = FitError(
            "this fit has no covariance (too few points, or not identified) and no bootstrap "
            "draws; run `bootstrap` (CLI: `fit --bootstrap N`) to get intervals."
        )
        if self.groups is not None:
            inputs, labels = self._inputs(data)
            assert labels is not None
            out = np.empty(point.size)
            for label in np.unique(labels).tolist():
                rows = labels == label
                cov = self.covariance_of(label)
                if cov is None:
                    raise missing
                values = self.params_for(label)
                columns = {n: v[rows] for n, v in inputs.items()}
                out[rows] = _delta(self.law, values, cov, columns, point[rows], self.config.space == "log")
            return out
        if self.covariance is None:
            raise missing
        names = list(self.params)
        base = np.array([self.params[n] for n in names])
        jac = np.empty((point.size, base.size))
        for j in range(base.size):
            step = 1e-6 * max(abs(base[j]), 1e-8)
            above = dict(zip(names, base, strict=True)) | {names[j]: base[j] + step}
            below = dict(zip(names, base, strict=True)) | {names[j]: base[j] - step}
            jac[:, j] = (self._evaluate(above, data)[0] - self._evaluate(below, data)[0]) / (2 * step)
        if self.config.space == "log":
            jac = jac / point[:, None]
        return np.sqrt(np.maximum(np.einsum("ij,jk,ik->i", jac, self.covariance, jac), 0.0))

    def extrapolation(self, data: Any) -> np.ndarray:
        """How far each row lies outside the fitted range: the largest log10 ratio over inputs (0 inside)."""
        inputs, _ = self._inputs(data)
        distance = np.zeros(next(iter(inputs.values())).shape[0]) if inputs else np.zeros(0)
        for name, values in inputs.items():
            if name not in self.input_ranges:
                continue
            lo, hi = self.input_ranges[name]
            with np.errstate(all="ignore"):
                if lo > 0 and hi > 0:
                    beyond = np.maximum(np.log10(values / hi), np.log10(lo / values))
                else:
                    beyond = np.maximum(values - hi, lo - values) / max(hi - lo, 1e-300)
            distance = np.maximum(distance, np.nan_to_num(beyond, nan=0.0))
        return distance

    @property
    def prior_effects(self) -> tuple[PriorEffect, ...]:
        """For each prior: the estimate's shift in prior sds and the data's share of the precision."""
        names = dict(zip(self.layout.names, self.layout.base_names, strict=True))
        return prior_report(self.priors, self.params, self.stderr, names)

    @property
    def aic(self) -> float:
        """Akaike information criterion from the Gaussian likelihood of the residuals:
        ``n log(rss / n) + 2k`` with ``k`` the free parameters (in the fit's residual space)."""
        return float(self.n_points * math.log(max(self.rss, 1e-300) / max(self.n_points, 1)) + 2 * self.n_params)

    @property
    def bic(self) -> float:
        """Bayesian information criterion, ``n log(rss / n) + k log n`` (see :attr:`aic`)."""
        n = max(self.n_points, 1)
        return float(n * math.log(max(self.rss, 1e-300) / n) + self.n_params * math.log(n))

    @property
    def r_squared(self) -> float | None:
        """``1 - rss / tss`` in the fit's residual space (log loss for ``space="log"``); None when the
        total sum of squares is unknown (older files) or zero."""
        if self.tss is None or self.tss <= 0:
            return None
        return float(1.0 - self.rss / self.tss)

    def param_intervals(self, prob: float = 0.95) -> dict[str, Interval | None]:
        """A ``prob`` interval for each parameter (None for a fixed one, or when there is none).

        With bootstrap draws (:meth:`with_bootstrap`): the percentile interval of the draws. Otherwise the
        delta method: ``value ± t(n - p) * stderr``, with the Student-t quantile for ``n - p`` degrees of
        freedom.

        Raises
        ------
        ArgumentError
            If ``prob`` is not strictly between 0 and 1.
        """
        if not 0 < prob < 1:
            raise ArgumentError(
                f"`prob` of param_intervals must be strictly between 0 and 1. Got {prob!r} instead.",
                argument="prob", function="param_intervals", rule="strictly between 0 and 1", value=prob,
            )
        fixed = set(self.fixed)
        out: dict[str, Interval | None] = dict.fromkeys(self.params)
        if self.bootstrap is not None and self.bootstrap.n_boot - self.bootstrap.n_failed >= 2:
            found = self.bootstrap.interval(prob)
            for name in self.params:
                if name not in fixed and name in found:
                    out[name] = Interval(found[name].lower, found[name].upper, prob, f"{self.bootstrap.label}, percentile")
            return out
        if not self.stderr:
            return out
        from scipy.special import stdtrit

        dof = max(self.n_points - self.n_params, 1)
        t = float(stdtrit(dof, (1 + prob) / 2))
        for name, value in self.params.items():
            se = self.stderr.get(name)
            if name in fixed or se is None or not math.isfinite(se):
                continue
            out[name] = Interval(value - t * se, value + t * se, prob, f"delta method, Student t ({dof} df)")
        return out

    def to_frame(self, prob: float = 0.95, *, library: Literal["polars", "pandas"] = "polars") -> Any:
        """The parameters as a table: ``parameter, value, stderr, lower, upper, interval_method, fixed``
        (a ``prob`` interval, see :meth:`param_intervals`), as a polars or pandas DataFrame.

        Raises
        ------
        ArgumentError
            If ``prob`` is not strictly between 0 and 1 or ``library`` is unknown.
        """
        import polars as pl

        if library not in ("polars", "pandas"):
            raise ArgumentError(
                f"`library` of to_frame must be 'polars' or 'pandas'. Got {library!r} instead.",
                argument="library", function="to_frame", rule="'polars' or 'pandas'", value=library,
            )
        intervals = self.param_intervals(prob)
        fixed = set(self.fixed)
        stderr = self.stderr or {}
        frame = pl.DataFrame(
            {
                "parameter": list(self.params),
                "value": [float(v) for v in self.params.values()],
                "stderr": [stderr.get(n) for n in self.params],
                "lower": [None if i is None else i.lower for i in intervals.values()],
                "upper": [None if i is None else i.upper for i in intervals.values()],
                "interval_method": [None if i is None else i.method for i in intervals.values()],
                "fixed": [n in fixed for n in self.params],
            },
            schema={"parameter": pl.String, "value": pl.Float64, "stderr": pl.Float64, "lower": pl.Float64,
                    "upper": pl.Float64, "interval_method": pl.String, "fixed": pl.Boolean},
        )
        return frame.to_pandas() if library == "pandas" else frame

    def summary(self, prob: float = 0.95) -> str:
        """The fit as text, in the manner of statsmodels: the law, status, objective, goodness of fit
        (R², AIC, BIC) and each parameter with its standard error and a ``prob`` interval."""
        width = max(len(n) for n in self.params)
        lines = [
            f"law: {self.law.label}  ({self.law.formula})",
            f"status: {self.status.value} - {self.message}",
            f"objective: {self.objective:.6g}  ({self.config.loss}"
            + (f", delta={self.config.delta:g}" if self.config.loss == "huber" else "")
            + f", {self.config.space} space, {self.n_points} points)",
        ]
        fixed = set(self.fixed)
        intervals = self.param_intervals(prob)
        method = next((i.method for i in intervals.values() if i is not None), None)
        values = {n: f"{v:.6g}" for n, v in self.params.items()}
        value_width = max(len(v) for v in values.values())
        for name in self.params:
            se = self.stderr.get(name) if self.stderr else None
            interval = intervals[name]
            if name in fixed:
                tail = "  (fixed)"
            else:
                tail = f"  ± {se:<9.3g}" if se is not None else ("  " + " " * 11 if interval else "")
                if interval is not None:
                    tail += f"  [{interval.lower:.4g}, {interval.upper:.4g}]"
            shown = values[name] if name in fixed else f"{values[name]:<{value_width}}"
            lines.append(f"  {name:<{width}} = {shown}" + tail.rstrip())
        if method is not None:
            lines.append(f"  ({prob:.0%} intervals: {method})")
        fit_line = f"fit: AIC {self.aic:.5g}   BIC {self.bic:.5g}   ({self.n_params} free parameters)"
        if self.r_squared is not None:
            fit_line = f"fit: R² {self.r_squared:.4f} ({self.config.space} space)   " + fit_line[5:]
        lines.append(fit_line)
        for effect in self.prior_effects:
            share = "" if effect.data_share is None else f", data share {effect.data_share:.0%}"
            lines.append(
                f"prior: {effect.name} ~ N({effect.mean:.4g}, {effect.sd:.3g}^2); the fit moved it "
                f"{effect.shift:+.2f} sd{share}"
            )
        others = [o for o in self.optima if not o.chosen]
        if others:
            lines.append(f"other optima: {len(others)} (objective, leave-future-out error):")
            for o in others:
                lfo = "-" if o.lfo_error is None else f"{o.lfo_error:.4g}"
                tag = " degenerate" if "degenerate" in o.notes else ""
                lines.append(f"  {o.objective:.6g}  {lfo}{tag}")
        lines.extend(f"warning ({d.kind}): {d.message}" for d in self.diagnostics)
        return "\n".join(lines)

    def __repr__(self) -> str:
        values = ", ".join(f"{k}={v:.4g}" for k, v in self.params.items())
        return f"FitResult({self.law.label!r}, {self.status.value}, {values})"

    def _repr_html_(self) -> str | None:  # notebook view, drawn by the report layer (see _views)
        return _views.html(self)

    def to_dict(self) -> dict[str, Any]:
        return {
            "schema": SCHEMA_VERSION,
            "law": self.law.to_dict(),
            "params": dict(self.params),
            "status": self.status.value,
            "message": self.message,
            "objective": self.objective,
            "rss": self.rss,
            "n_points": self.n_points,
            "n_params": self.n_params,
            "nfev": self.nfev,
            "n_starts": self.n_starts,
            "n_converged": self.n_converged,
            "starts": [dict(s) for s in self.starts],
            "covariance": None if self.covariance is None else self.covariance.tolist(),
            "stderr": None if self.stderr is None else dict(self.stderr),
            "config": self.config.to_dict(),
            "data_digest": self.data_digest,
            "version": self.version,
            "groups": None if self.groups is None else {g: dict(p) for g, p in self.groups.items()},
            "input_ranges": {k: list(v) for k, v in self.input_ranges.items()},
            "diagnostics": [d.to_dict() for d in self.diagnostics],
            "bootstrap": None if self.bootstrap is None else self.bootstrap.to_dict(),
            "optima": [o.to_dict() for o in self.optima],
            "priors": {k: list(p) for k, p in self.priors.items()},
            "prior_weight": self.prior_weight,
            "interval_scale": self.interval_scale,
            "group_covariance": None if self.group_covariance is None else {
                g: b.tolist() for g, b in self.group_covariance.items()
            },
            "tss": self.tss,
            "r_squared": self.r_squared,
            "aic": self.aic,
            "bic": self.bic,
            "intervals": {
                n: None if i is None else {"lower": i.lower, "upper": i.upper, "prob": i.prob, "method": i.method}
                for n, i in self.param_intervals(0.95).items()
            },
        }

    def to_json(self) -> str:
        """The fit as one strict JSON document (schema ``scalinglaws/schemas/fit.schema.json``)."""
        return _json.dumps(self.to_dict(), indent=2)

    def save(self, path: str | Path) -> None:
        """Write the result as JSON (whole or not at all); ``scalinglaws.load(path)`` reads it back."""
        write_text(path, self.to_json() + "\n")

    @classmethod
    def from_dict(cls, data: Any) -> FitResult:
        """The result a :meth:`to_dict` document describes (after :func:`scalinglaws.data.strict_json.decode`).

        Raises
        ------
        DataError
            If ``data`` is not a fit document of this schema, or an entry is wrong: a parameter that is
            not a finite number or is missing, a covariance of the wrong shape, a short range...; the
            message names the entry.
        """
        if not isinstance(data, Mapping) or data.get("schema") != SCHEMA_VERSION:
            found = data.get("schema") if isinstance(data, Mapping) else type(data).__name__
            raise DataError(
                f"not a scalinglaws fit (schema {found!r}); this version reads schema {SCHEMA_VERSION}."
            )
        _fitfile.check_keys(data)
        try:
            law = Law.from_dict(data["law"])
            config = FitConfig.from_dict(data["config"])
        except (KeyError, TypeError, ValueError, AttributeError) as exc:
            which = "law" if "law" not in data or not isinstance(data.get("law"), Mapping) else "law or config"
            raise DataError(f"not a valid scalinglaws fit: its `{which}` cannot be read ({_what(exc)}).") from exc
        groups = data.get("groups")
        layout = ParamLayout(
            law.param_names, tuple(groups) if isinstance(groups, Mapping) else None, tuple(config.shared)
        )
        _fitfile.check(data, layout.names, law.param_names)
        try:
            return cls._from_checked(data, law, config)
        except (KeyError, TypeError, ValueError, IndexError, AttributeError) as exc:
            raise DataError(f"not a valid scalinglaws fit: {_what(exc)}.") from exc

    @classmethod
    def _from_checked(cls, data: Mapping[str, Any], law: Law, config: FitConfig) -> FitResult:
        covariance = data["covariance"]
        return cls(
            law=law,
            params={k: float(v) for k, v in data["params"].items()},
            status=FitStatus(data["status"]),
            message=str(data["message"]),
            objective=float(data["objective"]),
            rss=float(data["rss"]),
            n_points=int(data["n_points"]),
            n_params=int(data["n_params"]),
            nfev=int(data["nfev"]),
            n_starts=int(data["n_starts"]),
            n_converged=int(data["n_converged"]),
            starts=tuple(dict(s) for s in data["starts"]),
            covariance=None if covariance is None else np.array(covariance, dtype=float),
            stderr=None if data["stderr"] is None else {k: float(v) for k, v in data["stderr"].items()},
            config=config,
            data_digest=str(data["data_digest"]),
            version=str(data["version"]),
            groups=None if data["groups"] is None else {g: dict(p) for g, p in data["groups"].items()},
            input_ranges={k: (float(v[0]), float(v[1])) for k, v in data["input_ranges"].items()},
            diagnostics=tuple(Diagnostic.from_dict(d) for d in data["diagnostics"]),
            bootstrap=None if data["bootstrap"] is None else BootstrapResult.from_dict(data["bootstrap"]),
            optima=tuple(Optimum.from_dict(o) for o in data.get("optima", ())),
            priors={k: (float(m), float(sd)) for k, (m, sd) in data.get("priors", {}).items()},
            prior_weight=None if data.get("prior_weight") is None else float(data["prior_weight"]),
            interval_scale=float(data.get("interval_scale", 1.0)),
            group_covariance=None if data.get("group_covariance") is None else {
                g: np.array(b, dtype=float) for g, b in data["group_covariance"].items()
            },
            tss=None if data.get("tss") is None else float(data["tss"]),
        )

    @classmethod
    def from_json(cls, text: str) -> FitResult:
        """The result of a :meth:`to_json` text.

        Raises
        ------
        DataError
            If ``text`` is not strict JSON or not a valid fit document (see :meth:`from_dict`).
        """
        try:
            data = _json.loads(text)
        except ValueError as exc:
            raise DataError(f"not a scalinglaws fit: the text is not JSON ({exc}).") from exc
        return cls.from_dict(data)


def _what(exc: BaseException) -> str:
    if isinstance(exc, KeyError):
        return f"entry {exc.args[0]!r} is missing"
    return f"{type(exc).__name__}: {exc}"


def _delta(law: Law, values: Mapping[str, float], covariance: np.ndarray, inputs: Mapping[str, np.ndarray],
           point: np.ndarray, log: bool) -> np.ndarray:
    """Delta-method standard error of ``law`` at ``inputs`` (residual space), by central differences."""
    names = list(law.param_names)
    base = np.array([float(values[n]) for n in names])
    jac = np.empty((point.size, base.size))
    for j in range(base.size):
        step = 1e-6 * max(abs(base[j]), 1e-8)
        above, below = base.copy(), base.copy()
        above[j] += step
        below[j] -= step
        jac[:, j] = (law.predict(dict(zip(names, above, strict=True)), inputs)
                     - law.predict(dict(zip(names, below, strict=True)), inputs)) / (2 * step)
    if log:
        jac = jac / point[:, None]
    return np.sqrt(np.maximum(np.einsum("ij,jk,ik->i", jac, covariance, jac), 0.0))
