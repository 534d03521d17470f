"""Two-step predictions: (N, D, ...) -> loss -> downstream metric, with the first step's uncertainty.

``chain(loss_fit, metric_fit)`` joins a fit of the loss (step 1, on a ladder of training runs) and a fit
of a metric as a function of the loss (step 2, on any models whose loss and metric were measured, often
many more). ``Chain.predict`` feeds step 1's predicted loss into step 2. ``Chain.predict_interval``
propagates both fits' uncertainty by a joint bootstrap (see :mod:`scalinglaws.fit.pairing` for how draws
of the two fits are joined): for each joint draw, step 1's draw moves the loss (step 2 at its estimate)
and step 2's draw moves the link (the loss at its point prediction), and the two deviations add up.
``Chain.unchained_interval`` is the naive interval that treats the predicted loss as exact.

The interval mirrors :meth:`FitResult.predict_interval`: each step's deviations are widened by its own
fit's ``sqrt(n/(n - p))``, and the spread of their sum (in the metric fit's residual space) is multiplied
by a Student-t quantile with Welch-Satterthwaite degrees of freedom from each step's share of the
variance. Splitting the deviation by step keeps each correction where it belongs (widening the
parameters instead can throw a draw far along a ridge of a nonlinear link) and is exact to first order.
``benchmarks/bench_chain_coverage.py`` measures its coverage.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Literal

import numpy as np
from scipy.special import stdtrit

from scalinglaws import _validation as v
from scalinglaws.data import strict_json
from scalinglaws.data.io import columns_of, read_text, write_text
from scalinglaws.downstream.links import Logit
from scalinglaws.errors import ArgumentError, DataError, MissingColumnError
from scalinglaws.fit.pairing import (
    Pairing,
    argument_is_fit,
    check_pairing,
    degrees_of_freedom,
    inflation,
    joint_draws,
)
from scalinglaws.fit.result import FitResult
from scalinglaws.laws import Law, evaluate

SCHEMA_VERSION = 1
KIND = "chain"
Kind = Literal["confidence", "prediction"]
_ROLES = ("loss fit", "metric fit")


def _evaluate(law: Law, names: tuple[str, ...], params: np.ndarray, inputs: Mapping[str, np.ndarray]) -> np.ndarray:
    """``law`` for each row of ``params`` (shape ``(B, len(names))``) at inputs of shape (n,) or (B, n)."""
    order = [names.index(n) for n in law.param_names]
    args = [np.asarray(inputs[n], dtype=float) for n in law.inputs]
    n = max(a.shape[-1] for a in args)
    values = [params[:, j, None] for j in order]
    return evaluate(law.compiled.value, *args, *values, shape=(params.shape[0], n))


@dataclass(frozen=True, eq=False)
class Chain:
    """A loss fit and a metric fit joined: ``metric = metric_fit(through = loss_fit(inputs))``.

    ``through`` is the metric law's input that receives the predicted loss; the metric law's other
    inputs (if any) are read from the data. ``link`` maps the metric fit's output back to the metric
    when that fit was made in logit space (:class:`Logit`). Build one with :func:`chain`.
    """

    loss_fit: FitResult
    metric_fit: FitResult
    through: str
    pairing: Pairing = "independent"
    seed: int = 0
    link: Logit | None = None

    @property
    def target(self) -> str:
        """The metric predicted (the metric fit's target column)."""
        return self.metric_fit.config.target

    def predict_loss(self, data: Any) -> np.ndarray:
        """Step 1 alone: the predicted loss at each row of ``data``."""
        return self.loss_fit.predict(data)

    def _metric_inputs(self, columns: Mapping[str, np.ndarray], loss: np.ndarray) -> dict[str, np.ndarray]:
        inputs: dict[str, np.ndarray] = {}
        for name in self.metric_fit.law.inputs:
            if name == self.through:
                inputs[name] = loss
                continue
            column = self.metric_fit.config.mapping.get(name, name)
            if column not in columns:
                raise MissingColumnError(
                    f"column {column!r} (input `{name}` of the metric law {self.metric_fit.law.label!r}) is "
                    f"missing from the data to predict. Available columns: {sorted(columns)}."
                )
            inputs[name] = np.asarray(columns[column], dtype=float)
        return inputs

    def _metric_columns(self, columns: Mapping[str, np.ndarray], loss: np.ndarray) -> dict[str, np.ndarray]:
        """The metric fit's input columns, with the predicted loss in the ``through`` column."""
        inputs = self._metric_inputs(columns, loss)
        return {self.metric_fit.config.mapping.get(n, n): x for n, x in inputs.items()}

    def _output(self, values: np.ndarray) -> np.ndarray:
        return values if self.link is None else self.link.inverse(values)

    def predict(self, data: Any) -> np.ndarray:
        """The metric at each row of ``data``: step 2 evaluated at step 1's predicted loss.

        Raises
        ------
        MissingColumnError
            If a column either law reads is absent.
        """
        columns = columns_of(data, "Chain.predict")
        loss = self.loss_fit.predict(columns)
        return self._output(self.metric_fit.predict(self._metric_columns(columns, loss)))

    def predict_interval(
        self, data: Any, prob: float = 0.95, kind: Kind = "confidence"
    ) -> tuple[np.ndarray, np.ndarray, np.ndarray, str]:
        """Point prediction with a ``prob`` interval carrying both steps' uncertainty, and its method.

        ``confidence`` covers the chained law's value; ``prediction`` also covers a new run's own noise
        in both steps (its loss scatters around step 1, its metric around step 2).

        Raises
        ------
        ArgumentError
            If ``prob`` is not strictly between 0 and 1 or ``kind`` is unknown.
        FitError
            If either fit has no bootstrap draws.
        """
        v.check("Chain.predict_interval", "prob", prob, v.probability())
        v.check("Chain.predict_interval", "kind", kind, v.one_of(("confidence", "prediction")))
        columns = columns_of(data, "Chain.predict_interval")
        loss_fit, metric_fit = self.loss_fit, self.metric_fit
        first, second, method = joint_draws(
            loss_fit, metric_fit, self.pairing, self.seed, "Chain.predict_interval", _ROLES
        )
        names1, names2 = tuple(loss_fit.params), tuple(metric_fit.params)
        estimate2 = np.array([list(metric_fit.params.values())])
        loss_point = loss_fit.predict(columns)  # checks that every column step 1 reads is present
        x1 = {n: np.asarray(columns[loss_fit.config.mapping.get(n, n)], dtype=float) for n in loss_fit.law.inputs}
        loss_draws = _evaluate(loss_fit.law, names1, first, x1)
        metric = self._metric_inputs(columns, loss_point)

        def at(params: np.ndarray, loss: np.ndarray) -> np.ndarray:
            return self._space(_evaluate(metric_fit.law, names2, params, {**metric, self.through: loss}))

        point = at(estimate2, loss_point[None, :])[0]
        with np.errstate(all="ignore"):
            # Each joint draw's deviation from the point, split by step: step 1's draw moves the loss
            # (step 2 held at its estimate), step 2's draw moves the link (the loss held at its point).
            # Each part is widened by its own fit's sqrt(n/(n - p)), as FitResult.predict_interval does.
            step1 = inflation(loss_fit) * (at(np.repeat(estimate2, first.shape[0], axis=0), loss_draws) - point)
            step2 = inflation(metric_fit) * (at(second, np.broadcast_to(loss_point, loss_draws.shape)) - point)
            spread = np.nanstd(step1 + step2, axis=0, ddof=1)
            v1, v2 = np.nanvar(step1, axis=0, ddof=1), np.nanvar(step2, axis=0, ddof=1)
            df1, df2 = degrees_of_freedom(loss_fit), degrees_of_freedom(metric_fit)
            df = np.where(v1 + v2 > 0, (v1 + v2) ** 2 / (v1**2 / df1 + v2**2 / df2), df2)
        if kind == "prediction":
            spread = np.sqrt(spread**2 + self._noise(at, estimate2, loss_point))
            method += " + run noise"
        half = stdtrit(np.maximum(df, 1.0), (1 + prob) / 2) * spread
        lower, upper = self._back(point - half), self._back(point + half)
        return self._output(self._back(point)), self._output(lower), self._output(upper), method

    def _space(self, values: np.ndarray) -> np.ndarray:
        """Metric-fit predictions in its residual space (log or linear)."""
        if self.metric_fit.config.space != "log":
            return values
        with np.errstate(all="ignore"):
            return np.where(values > 0, np.log(values), np.nan)

    def _back(self, values: np.ndarray) -> np.ndarray:
        return np.exp(values) if self.metric_fit.config.space == "log" else values

    def _noise(self, at: Any, estimate2: np.ndarray, loss: np.ndarray) -> np.ndarray:
        """Variance of a new run around the chained value, in the metric fit's residual space: its
        metric's scatter around step 2 plus its loss's scatter around step 1 carried through step 2's
        slope (a central difference)."""
        boot1, boot2 = self.loss_fit.bootstrap, self.metric_fit.bootstrap
        assert boot1 is not None
        assert boot2 is not None
        step = 1e-4 * np.maximum(np.abs(loss), 1e-8)
        slope = (at(estimate2, (loss + step)[None]) - at(estimate2, (loss - step)[None]))[0] / (2 * step)
        # A log-space loss fit's residuals are relative: a loss residual r moves the loss by about L*r.
        scale = loss if self.loss_fit.config.space == "log" else np.ones_like(loss)
        return float(np.var(boot2.residuals)) + (slope * scale) ** 2 * float(np.var(boot1.residuals))

    def unchained_interval(
        self, data: Any, prob: float = 0.95, kind: Kind = "confidence"
    ) -> tuple[np.ndarray, np.ndarray, np.ndarray, str]:
        """The metric fit's own interval at the point-predicted loss: it ignores step 1's uncertainty,
        and is shown for comparison only (it is too narrow whenever the loss is extrapolated)."""
        columns = columns_of(data, "Chain.unchained_interval")
        metric_columns = self._metric_columns(columns, self.loss_fit.predict(columns))
        point, lower, upper, method = self.metric_fit.predict_interval(metric_columns, prob, kind)
        return self._output(point), self._output(lower), self._output(upper), f"{method}, loss taken as exact"

    def extrapolation(self, data: Any) -> np.ndarray:
        """How far each row lies outside step 1's fitted range, in decades (0 inside)."""
        return self.loss_fit.extrapolation(data)

    def summary(self) -> str:
        link = f", link {self.link.label}" if self.link is not None else ""
        return "\n".join([
            (f"chain: {self.loss_fit.law.label} -> {self.metric_fit.law.label} through input "
            f"`{self.through}` (predicted {self.loss_fit.config.target}){link}; intervals: joint "
            f"bootstrap, {self.pairing} pairing"),
            "step 1 (loss):",
            *("  " + line for line in self.loss_fit.summary().splitlines()),
            f"step 2 ({self.target}):",
            *("  " + line for line in self.metric_fit.summary().splitlines()),
        ])

    def __repr__(self) -> str:
        return f"Chain({self.loss_fit.law.label!r} -> {self.metric_fit.law.label!r}, through={self.through!r})"

    def to_dict(self) -> dict[str, Any]:
        return {
            "schema": SCHEMA_VERSION,
            "kind": KIND,
            "through": self.through,
            "pairing": self.pairing,
            "seed": self.seed,
            "link": None if self.link is None else self.link.to_dict(),
            "loss_fit": self.loss_fit.to_dict(),
            "metric_fit": self.metric_fit.to_dict(),
        }

    def to_json(self) -> str:
        return strict_json.dumps(self.to_dict(), indent=2)

    def save(self, path: str | Path) -> None:
        """Write the chain as JSON (whole or not at all); :meth:`load` reads it back."""
        write_text(path, self.to_json() + "\n")

    @classmethod
    def from_dict(cls, data: Any) -> Chain:
        if not is_chain_dict(data) or data.get("schema") != SCHEMA_VERSION:
            raise DataError(f"not a scalinglaws chain (schema {SCHEMA_VERSION}, kind 'chain').")
        link = None if data["link"] is None else Logit.from_dict(data["link"])
        return chain(
            FitResult.from_dict(data["loss_fit"]),
            FitResult.from_dict(data["metric_fit"]),
            through=data["through"], pairing=data["pairing"], seed=int(data["seed"]), link=link,
        )

    @classmethod
    def from_json(cls, text: str) -> Chain:
        return cls.from_dict(strict_json.loads(text))

    @classmethod
    def load(cls, path: str | Path) -> Chain:
        """Read a chain written by :meth:`save` (or ``scalinglaws fit --through ... --out``).

        Raises
        ------
        DataError
            If the file is missing or not a chain file.
        """
        text = read_text(path, "Chain.load")
        try:
            return cls.from_json(text)
        except (KeyError, TypeError, ValueError) as exc:
            if isinstance(exc, DataError):
                raise
            raise DataError(f"{str(path)!r} is not a scalinglaws chain file: {exc!r}.") from None


def is_chain_dict(data: Any) -> bool:
    """Whether a parsed JSON document is a chain (rather than a single fit)."""
    return isinstance(data, Mapping) and data.get("kind") == KIND


def _through(loss_fit: FitResult, metric_fit: FitResult, through: str | None) -> str:
    inputs = metric_fit.law.inputs
    if through is not None:
        if through not in inputs:
            raise ArgumentError(
                f"`through` of chain must be an input of the metric law {metric_fit.law.label!r}: "
                f"{list(inputs)}. Got {through!r} instead.",
                argument="through", function="chain",
            )
        return through
    target = loss_fit.config.target
    reading = [n for n in inputs if metric_fit.config.mapping.get(n, n) == target]
    if len(reading) == 1:
        return reading[0]
    if len(inputs) == 1:
        return inputs[0]
    raise ArgumentError(
        f"`through` of chain must name the input of the metric law {metric_fit.law.label!r} that takes "
        f"the predicted loss: none of its inputs {list(inputs)} read the loss fit's target column "
        f"{target!r}. Pass through='L' (or the input's name).",
        argument="through", function="chain",
    )


def chain(
    loss_fit: FitResult,
    metric_fit: FitResult,
    *,
    through: str | None = None,
    pairing: Pairing = "independent",
    seed: int = 0,
    link: Logit | None = None,
) -> Chain:
    """Join a loss fit and a metric-from-loss fit into one two-step prediction.

    Parameters
    ----------
    loss_fit
        Step 1: a fit of the loss, e.g. ``fit(ladder, "chinchilla")``.
    metric_fit
        Step 2: a fit of a metric as a function of the loss, e.g.
        ``fit(evals, "gadre_downstream", mapping={"L": "loss"}, target="error", space="linear")``;
        it may be fitted on other (and many more) models than step 1.
    through
        The metric law's input that takes the predicted loss. Default: the input that reads the loss
        fit's target column, or the metric law's only input.
    pairing
        How the two fits' bootstrap draws are joined for intervals: ``"independent"`` for fits made on
        different runs, ``"paired"`` for fits made on the same runs with the same bootstrap seed (see
        :mod:`scalinglaws.fit.pairing`).
    seed
        Seeds the random joining of independent draws.
    link
        ``Logit(floor, ceiling)`` when the metric fit was made in logit space (law ``logit_linear`` on a
        :func:`~scalinglaws.downstream.logit_target` column): predictions are mapped back to the metric.

    Returns
    -------
    Chain

    Raises
    ------
    ArgumentError
        If a fit is not a FitResult, is grouped, or has a history (loss-curve) law; ``through`` names no
        metric input; or ``pairing``, ``seed`` or ``link`` are invalid.

    Examples
    --------
    >>> import scalinglaws as sl
    >>> ladder = sl.testing.synthetic_runs("chinchilla", seed=0)
    >>> evals = {"loss": [2.2, 2.6, 3.0, 3.4, 3.8], "error": [0.42, 0.52, 0.62, 0.70, 0.76]}
    >>> step2 = sl.fit(evals, "gadre_downstream", mapping={"L": "loss"}, target="error",
    ...                loss="squared", space="linear")
    >>> two_step = sl.chain(sl.fit(ladder, "chinchilla"), step2)
    >>> two_step.through
    'L'
    """
    argument_is_fit("chain", "loss_fit", loss_fit)
    argument_is_fit("chain", "metric_fit", metric_fit)
    check_pairing("chain", pairing, seed)
    if link is not None and not isinstance(link, Logit):
        raise ArgumentError(
            f"`link` of chain must be None or a Logit(floor, ceiling). Got {type(link).__name__} instead.",
            argument="link", function="chain",
        )
    for role, result in zip(_ROLES, (loss_fit, metric_fit), strict=True):
        if result.groups is not None or result.law.compiled.history_inputs:
            raise ArgumentError(
                f"the {role} of chain must be an ungrouped fit of a law without history inputs; "
                f"{result.law.label!r} is {'grouped' if result.groups is not None else 'a loss-curve law'}. "
                "Fit one group at a time.",
                argument="loss_fit" if role == _ROLES[0] else "metric_fit", function="chain",
            )
    return Chain(loss_fit, metric_fit, _through(loss_fit, metric_fit, through), pairing, seed, link)
