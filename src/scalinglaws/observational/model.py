"""Observational scaling laws (Ruan, Maddison and Hashimoto 2024): capabilities of public models from
their benchmark scores, and predictions of a target benchmark from those capabilities.

``fit(scores, benchmarks=..., n_components=3, target=..., cutoff=...)``:

1. split the models at a compute cut (``cutoff``): fit on the models at or below it, hold out those
   above it (models with unknown compute are neither fitted nor scored);
2. fill missing benchmark scores by PCA imputation fitted to the training models (:mod:`.pca`);
3. principal components of the scores (fitted to the training models): PC-1..PC-k are the
   low-dimensional "capabilities" S_m of every model;
4. per model family, ``S_m ≈ slope_f log10(C_m) + intercept_f`` by least squares (the paper's
   log-linear relation of capabilities and compute within a family);
5. with a ``target``: a sigmoid link ``y = floor + (ceiling - floor) sigmoid(w_0 + w·S_m)`` fitted to
   the training models (least squares, as the authors' curve_fit; ``floor`` is the random-chance
   score), evaluated on the held-out models' own capabilities. ``fit_floor=True`` frees the floor in
   ``[floor, floor + 0.2 (ceiling - floor)]`` (the authors' "sigmoid-parametric" with a fixed ceiling).

Defaults follow ryoungj/ObsScaling @ 4d6e1e43 (README and utils/constants.py): imputation of rank 1
clipped to [0, 1], PCA of the unstandardised (imputed) scores, 3 components.
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any, Literal

import numpy as np
import polars as pl

from scalinglaws import _validation as v
from scalinglaws.data import strict_json
from scalinglaws.data.io import read_runs
from scalinglaws.errors import ArgumentError, DataError, MissingColumnError
from scalinglaws.fit import api as engine
from scalinglaws.fit.result import FitResult
from scalinglaws.laws import Law, ParamSpec
from scalinglaws.observational.pca import Components, Imputer, pca_impute, principal_components

Impute = Literal["pca", "none"]
FLOOR_RANGE = 0.2
"""Width of the free floor's range, as a share of ceiling - floor (the authors' sigmoid_param_range_width)."""


@dataclass(frozen=True, eq=False)
class ObservationalResult:
    """Capabilities of every model, family compute fits, and the target link with its holdout error.

    ``models`` has one row per model: ``model``, ``family``, ``compute``, ``split`` ("train",
    "holdout" above the cut, or "unknown" compute), ``n_imputed`` (its missing scores), ``PC1``..``PCk``
    and, with a target, ``target`` (observed) and ``predicted``. ``families`` has one row per family
    and component: ``slope`` and ``intercept`` of the component against log10 compute, ``r2``,
    ``n_models``. ``holdout`` has the held-out models' mean absolute error, RMSE and MSE.
    """

    benchmarks: tuple[str, ...]
    n_components: int
    impute: Impute
    standardize: bool
    cutoff: float | None
    components: Components
    imputer: Imputer | None
    impute_iterations: int
    models: pl.DataFrame
    families: pl.DataFrame
    target: str | None
    floor: float
    ceiling: float
    link: FitResult | None
    holdout: Mapping[str, float] | None

    @property
    def explained_variance_ratio(self) -> np.ndarray:
        return self.components.explained_variance_ratio

    @property
    def loadings(self) -> pl.DataFrame:
        """One row per component, one column per benchmark (in the standardised units when standardised)."""
        return pl.DataFrame(
            {"component": _pc_names(self.n_components)}
            | {b: self.components.axes[:, j] for j, b in enumerate(self.benchmarks)}
        )

    def capabilities(self, scores: Any) -> np.ndarray:
        """PC-1..PC-k of new models (rows of ``scores`` with the benchmark columns), shape ``(n, k)``.

        Missing scores are filled by the fitted imputer (or refused when ``impute="none"``).

        Raises
        ------
        MissingColumnError, DataError
            If a benchmark column is absent, or has missing scores and there is no imputer.
        """
        matrix = _matrix(read_runs(scores), self.benchmarks, "capabilities")
        if np.isnan(matrix).any():
            if self.imputer is None:
                raise DataError("`scores` of capabilities has missing benchmark scores; this fit has no imputer "
                                "(impute='none'). Drop those models or refit with impute='pca'.")
            matrix, _ = self.imputer.fill(matrix)
        return self.components.transform(matrix)

    def predict(self, scores: Any) -> np.ndarray:
        """The target predicted for new models from their benchmark scores.

        Raises
        ------
        ArgumentError
            If the fit has no target.
        """
        if self.link is None:
            raise ArgumentError("this observational fit has no `target`; refit with target=COLUMN to predict it.",
                                argument="target", function="predict")
        pcs = self.capabilities(scores)
        return self.link.predict({name: pcs[:, j] for j, name in enumerate(_pc_names(self.n_components))})

    def summary(self) -> str:
        ratios = ", ".join(f"PC{j + 1} {r:.1%}" for j, r in enumerate(self.explained_variance_ratio))
        split = self.models["split"].value_counts().sort("split")
        counts = ", ".join(f"{row['count']} {row['split']}" for row in split.iter_rows(named=True))
        lines = [
            (f"observational scaling: {len(self.benchmarks)} benchmarks ({', '.join(self.benchmarks)}), "
            f"{self.models.height} models ({counts})"),
            f"imputation: {self.impute}" + (f" ({self.impute_iterations} iterations)" if self.impute == "pca" else "")
            + f"; PCA of {'standardised' if self.standardize else 'raw'} scores",
            f"explained variance: {ratios} (total {float(self.explained_variance_ratio.sum()):.1%})",
        ]
        if self.link is not None:
            lines.append(f"link: {self.target} = {self.link.law.formula}  ({self.link.status.value})")
            lines += [f"  {k} = {x:.6g}" for k, x in self.link.params.items()]
        if self.holdout is not None:
            lines.append(
                f"holdout above {self.cutoff:g}: {int(self.holdout['n'])} models, MAE {self.holdout['mae']:.4f}, "
                f"RMSE {self.holdout['rmse']:.4f}"
            )
        return "\n".join(lines)

    def to_dict(self) -> dict[str, Any]:
        """Plain Python (lists, floats; a missing value is None, and non-finite floats stay floats:
        write it with ``scalinglaws.data.strict_json.dumps``)."""
        return {
            "benchmarks": list(self.benchmarks),
            "n_components": self.n_components,
            "impute": self.impute,
            "standardize": self.standardize,
            "cutoff": self.cutoff,
            "explained_variance_ratio": self.explained_variance_ratio.tolist(),
            "loadings": self.loadings.to_dicts(),
            "models": self.models.to_dicts(),
            "families": self.families.to_dicts(),
            "target": self.target,
            "floor": self.floor,
            "ceiling": self.ceiling,
            "link": None if self.link is None else strict_json.loads(self.link.to_json()),
            "holdout": None if self.holdout is None else dict(self.holdout),
        }


def _pc_names(k: int) -> list[str]:
    return [f"PC{j + 1}" for j in range(k)]


def _need(frame: pl.DataFrame, columns: Sequence[str], function: str) -> None:
    missing = [c for c in columns if c not in frame.columns]
    if missing:
        raise MissingColumnError(
            f"{function} needs column(s) {missing}, which `scores` does not have (columns: {sorted(frame.columns)})."
        )


def _matrix(frame: pl.DataFrame, benchmarks: Sequence[str], function: str) -> np.ndarray:
    _need(frame, benchmarks, function)
    try:
        return frame.select(pl.col(list(benchmarks)).cast(pl.Float64)).to_numpy()
    except pl.exceptions.PolarsError as exc:
        raise DataError(f"benchmark columns of {function} must be numeric scores: {exc}") from None


def _split(compute: np.ndarray, cutoff: float | None) -> np.ndarray:
    if cutoff is None:
        return np.full(compute.size, "train")
    known = np.isfinite(compute)
    return np.where(~known, "unknown", np.where(compute <= cutoff, "train", "holdout"))


def family_fits(models: pl.DataFrame, n_components: int) -> pl.DataFrame:
    """Least-squares ``PCj = slope log10(compute) + intercept`` within each family of training models
    with at least two distinct known computes."""
    rows = []
    train = models.filter((pl.col("split") == "train") & pl.col("compute").is_finite() & (pl.col("compute") > 0))
    for (family,), group in train.group_by(["family"], maintain_order=True):
        x = np.log10(group["compute"].to_numpy())
        if np.unique(x).size < 2:
            continue
        design = np.column_stack([x, np.ones_like(x)])
        for name in _pc_names(n_components):
            y = group[name].to_numpy()
            (slope, intercept), *_ = np.linalg.lstsq(design, y, rcond=None)
            resid = y - design @ np.array([slope, intercept])
            total = float(np.sum((y - y.mean()) ** 2))
            r2 = 1.0 - float(np.sum(resid**2)) / total if total > 0 else math.nan
            rows.append({"family": family, "component": name, "slope": float(slope),
                         "intercept": float(intercept), "r2": r2, "n_models": int(x.size)})
    schema = {"family": pl.String, "component": pl.String, "slope": pl.Float64, "intercept": pl.Float64,
              "r2": pl.Float64, "n_models": pl.Int64}
    return pl.DataFrame(rows, schema=schema)


def link_law(n_components: int, floor: float, ceiling: float, spreads: np.ndarray, fit_floor: bool) -> Law:
    """``floor + (ceiling - floor) sigmoid(w_0 + sum_j w_j PCj)`` with start ranges scaled to each PC's spread."""
    terms = " + ".join(f"w_{j + 1}*PC{j + 1}" for j in range(n_components))
    params = {"w_0": ParamSpec("w_0", init=(-6.0, 6.0), description="intercept of the capability index")}
    for j, spread in enumerate(spreads):
        width = 6.0 / max(float(spread), 1e-12)
        params[f"w_{j + 1}"] = ParamSpec(f"w_{j + 1}", init=(-width, width), description=f"weight of PC{j + 1}")
    if fit_floor:
        top = floor + FLOOR_RANGE * (ceiling - floor)
        params["f"] = ParamSpec("f", floor, top, init=(floor, top), description="floor of the sigmoid")
        formula = f"f + ({ceiling!r} - f)*sigmoid(w_0 + {terms})"
    else:
        formula = f"{floor!r} + {ceiling - floor!r}*sigmoid(w_0 + {terms})"
    return Law.from_formula(
        formula, inputs=tuple(_pc_names(n_components)), params=params, name="observational_sigmoid",
        description="Sigmoid link from capabilities (principal components of benchmark scores) to a "
        "target benchmark (Ruan et al. 2024).",
        reference="Ruan et al. 2024, arXiv:2405.10938; ryoungj/ObsScaling utils/data.py @ 4d6e1e43",
        conventions=dict.fromkeys(_pc_names(n_components), "principal component of the benchmark scores"),
    )


RULES: Mapping[str, v.Rule] = {
    "n_components": v.at_least(1),
    "impute": v.one_of(("pca", "none")),
    "impute_rank": v.at_least(1),
    "seed": v.integer(),
}


def fit(
    scores: Any,
    benchmarks: Sequence[str],
    *,
    n_components: int = 3,
    impute: Impute = "pca",
    impute_rank: int = 1,
    score_range: tuple[float, float] | None = (0.0, 1.0),
    standardize: bool = False,
    target: str | None = None,
    floor: float = 0.0,
    ceiling: float = 1.0,
    fit_floor: bool = False,
    cutoff: float | None = None,
    model: str = "run_id",
    family: str = "group",
    compute: str = "flops",
    seed: int = 0,
) -> ObservationalResult:
    """Fit an observational scaling law to the benchmark scores of many public models.

    Parameters
    ----------
    scores
        One row per model (a frame, a mapping of columns or a path): ``model``, ``family``, ``compute``
        and the ``benchmarks`` columns (scores, NaN or empty where missing); with ``target``, that column.
    benchmarks
        The benchmark columns whose principal components are the capabilities.
    n_components
        How many components to keep (the paper uses 3 for predictions).
    impute, impute_rank, score_range
        ``"pca"``: fill missing scores by iterated rank-``impute_rank`` PCA reconstruction, imputed values
        clipped to ``score_range``; ``"none"``: use only models with every score.
    standardize
        Z-score each benchmark before the PCA (the authors' default is not to).
    target, floor, ceiling, fit_floor
        The benchmark to predict, its random-chance score and its maximum; ``fit_floor`` frees the
        floor (see the module docstring). Models without a target score are not used for the link.
    cutoff
        Compute cut in the units of ``compute``: fit on models at or below it, score the predictions of
        the models above it (Ruan et al.'s default is 8.4e22 FLOPs, Llama-2-7B).
    seed
        Seeds the link fit's start search.

    Returns
    -------
    ObservationalResult

    Raises
    ------
    ArgumentError
        If an argument has a value it cannot take.
    MissingColumnError, DataError
        If a column is absent or not numeric, or too few models remain to fit.
    """
    function = "observational.fit"
    v.check_all(function, RULES, {"n_components": n_components, "impute": impute,
                                  "impute_rank": impute_rank, "seed": seed})
    benchmarks = tuple(benchmarks) if not isinstance(benchmarks, str) else (benchmarks,)
    if len(benchmarks) < 2 or len(set(benchmarks)) != len(benchmarks):
        raise v.argument_error(function, "benchmarks", list(benchmarks), "two or more distinct column names")
    if n_components > len(benchmarks):
        raise v.argument_error(function, "n_components", n_components, f"at most the {len(benchmarks)} benchmarks")
    if not (math.isfinite(floor) and math.isfinite(ceiling) and floor < ceiling):
        raise v.argument_error(function, "floor", (floor, ceiling), "below a finite `ceiling` (floor < ceiling)")
    if cutoff is not None:
        v.check(function, "cutoff", cutoff, v.Rule(v.positive(), "a positive compute"))
    frame = read_runs(pl.DataFrame(dict(scores)) if isinstance(scores, Mapping) else scores)
    _need(frame, [model, family, compute, *([target] if target else [])], function)
    matrix = _matrix(frame, benchmarks, function)
    keep = ~np.isnan(matrix).any(axis=1) if impute == "none" else np.ones(frame.height, dtype=bool)
    frame, matrix = frame.filter(pl.Series(keep)), matrix[keep]
    flops = frame[compute].cast(pl.Float64).fill_null(math.nan).to_numpy()
    split = _split(flops, cutoff)
    train = split == "train"
    if int(train.sum()) < max(n_components + 2, 4):
        raise DataError(
            f"{function}: only {int(train.sum())} models to fit (at or below the cutoff, with every score when "
            f"impute='none'); need at least {max(n_components + 2, 4)}. Raise the cutoff or impute."
        )
    imputer, iterations = None, 0
    n_missing = np.isnan(matrix).sum(axis=1)
    if impute == "pca" and np.isnan(matrix).any():
        filled_train, imputer, iterations = pca_impute(matrix[train], impute_rank, score_range)
        filled = matrix.copy()
        filled[train] = filled_train
        if (~train).any():
            filled[~train], _ = imputer.fill(matrix[~train])
        matrix = filled
    pcs = principal_components(matrix[train], n_components, standardize)
    capability = pcs.transform(matrix)
    names = _pc_names(n_components)
    models = pl.DataFrame({
        "model": frame[model].cast(pl.String), "family": frame[family].cast(pl.String),
        "compute": flops, "split": split, "n_imputed": n_missing,
    }).with_columns(*(pl.Series(n, capability[:, j]) for j, n in enumerate(names)))
    result_link, holdout = None, None
    if target is not None:
        y = frame[target].cast(pl.Float64).fill_null(math.nan).to_numpy()
        usable = train & np.isfinite(y)
        law = link_law(n_components, floor, ceiling, capability[usable].std(axis=0), fit_floor)
        columns = {n: capability[usable, j] for j, n in enumerate(names)} | {"target": y[usable]}
        result_link = engine.fit(columns, law, target="target", loss="squared", space="linear", seed=seed)
        predicted = result_link.predict({n: capability[:, j] for j, n in enumerate(names)})
        models = models.with_columns(pl.Series("target", y), pl.Series("predicted", predicted))
        scored = (split == "holdout") & np.isfinite(y)
        if cutoff is not None and scored.any():
            error = predicted[scored] - y[scored]
            holdout = {"n": float(scored.sum()), "mae": float(np.mean(np.abs(error))),
                       "rmse": float(np.sqrt(np.mean(error**2))), "mse": float(np.mean(error**2))}
    return ObservationalResult(
        benchmarks, n_components, impute, standardize, cutoff, pcs, imputer, iterations, models,
        family_fits(models, n_components), target, floor, ceiling, result_link, holdout,
    )
