"""scalinglaws: fit, trust, compare and use neural scaling laws.

Names are loaded on first use, so ``import scalinglaws`` (and every command's start) costs almost
nothing: ``sl.fit`` imports the engine when it is first called, ``sl.plan`` functions the planner.
``sl.fit`` is the engine package ``scalinglaws.fit``, which is callable (see its docstring).
"""

from __future__ import annotations

import importlib
from importlib.metadata import PackageNotFoundError, version
from typing import TYPE_CHECKING

from scalinglaws import (
    _lazy,
    _pickle,  # noqa: F401  (registers how results pickle)
    _views,
)
from scalinglaws.errors import (
    ArgumentError,
    ConvergenceError,
    DataError,
    ExtrapolationWarning,
    FitError,
    IdentifiabilityWarning,
    LawSpecError,
    MissingColumnError,
    NonFiniteFitError,
    SchemaError,
    ToolkitError,
    ToolkitWarning,
)

if TYPE_CHECKING:
    from scalinglaws import downstream, observational, testing
    from scalinglaws.data import datasets
    from scalinglaws.discover.api import discover
    from scalinglaws.discover.result import Discovery
    from scalinglaws.downstream.chained import Chain, chain
    from scalinglaws.downstream.links import Logit
    from scalinglaws.fit import FitConfig, FitResult, FitStatus
    from scalinglaws.fit.api import bootstrap, fit, load, profile
    from scalinglaws.fit.resampling import BootstrapResult, Interval
    from scalinglaws.laws import (
        ColumnMap,
        CostModel,
        Law,
        ParamSpec,
        get_law,
        list_laws,
        register_law,
    )
    from scalinglaws.plan import (
        Allocation,
        Comparison,
        allocate,
        allocate_data_constrained,
        allocate_distillation,
        allocate_inference,
        allocate_precision,
        allocate_samples,
        compare,
        isoflop_grid,
        isoflop_profiles,
        optimal_mixture,
        optimal_vocabulary,
        overtrain_penalty,
        recommend_hparams,
        suggest_runs,
    )
    from scalinglaws.trust import (
        Average,
        BacktestResult,
        SelectionResult,
        average,
        backtest,
        select,
    )

try:
    __version__ = version("scalinglaws")
except PackageNotFoundError:  # running from a source tree that is not installed
    __version__ = "0+unknown"

_MODULES: dict[str, str] = {
    "fit": "scalinglaws.fit",  # the engine package, which is callable
    "discover": "scalinglaws.discover",  # the discovery package, which is callable
    "testing": "scalinglaws.testing",
    "datasets": "scalinglaws.data.datasets",
    "downstream": "scalinglaws.downstream",
    "observational": "scalinglaws.observational",
    "report": "scalinglaws.report",  # figures (sl.report.plot_*) and the HTML report
}
"""Public names that are modules."""
_LAZY: dict[str, str] = {
    "FitConfig": "scalinglaws.fit.config",
    "FitResult": "scalinglaws.fit.result",
    "FitStatus": "scalinglaws.fit.covariance",
    "bootstrap": "scalinglaws.fit.api",
    "load": "scalinglaws.fit.api",
    "profile": "scalinglaws.fit.api",
    "BootstrapResult": "scalinglaws.fit.resampling",
    "Interval": "scalinglaws.fit.resampling",
    "ColumnMap": "scalinglaws.laws",
    "CostModel": "scalinglaws.laws",
    "Law": "scalinglaws.laws",
    "ParamSpec": "scalinglaws.laws",
    "get_law": "scalinglaws.laws",
    "list_laws": "scalinglaws.laws",
    "register_law": "scalinglaws.laws",
    "Allocation": "scalinglaws.plan",
    "allocate": "scalinglaws.plan",
    "allocate_data_constrained": "scalinglaws.plan",
    "allocate_distillation": "scalinglaws.plan",
    "allocate_inference": "scalinglaws.plan",
    "Comparison": "scalinglaws.plan",
    "compare": "scalinglaws.plan",
    "allocate_precision": "scalinglaws.plan",
    "allocate_samples": "scalinglaws.plan",
    "optimal_mixture": "scalinglaws.plan",
    "optimal_vocabulary": "scalinglaws.plan",
    "isoflop_grid": "scalinglaws.plan",
    "isoflop_profiles": "scalinglaws.plan",
    "overtrain_penalty": "scalinglaws.plan",
    "recommend_hparams": "scalinglaws.plan",
    "suggest_runs": "scalinglaws.plan",
    "Discovery": "scalinglaws.discover.result",
    "Average": "scalinglaws.trust.averaging",
    "average": "scalinglaws.trust.averaging",
    "Chain": "scalinglaws.downstream.chained",
    "Logit": "scalinglaws.downstream.links",
    "chain": "scalinglaws.downstream.chained",
    "BacktestResult": "scalinglaws.trust.backtesting",
    "SelectionResult": "scalinglaws.trust.selection",
    "backtest": "scalinglaws.trust.backtesting",
    "calibrate": "scalinglaws.trust.calibration",
    "select": "scalinglaws.trust.selection",
}
"""Public name -> the module that defines it."""


__getattr__, __dir__ = _lazy.attributes(__name__, globals(), {**_MODULES, **_LAZY})


def _load_views() -> None:
    importlib.import_module("scalinglaws.report.notebook")


_views.set_loader(_load_views)

__all__ = [
    "Allocation",
    "ArgumentError",
    "Average",
    "BacktestResult",
    "BootstrapResult",
    "Chain",
    "ColumnMap",
    "Comparison",
    "ConvergenceError",
    "CostModel",
    "DataError",
    "Discovery",
    "ExtrapolationWarning",
    "FitConfig",
    "FitError",
    "FitResult",
    "FitStatus",
    "IdentifiabilityWarning",
    "Interval",
    "Law",
    "LawSpecError",
    "Logit",
    "MissingColumnError",
    "NonFiniteFitError",
    "ParamSpec",
    "SchemaError",
    "SelectionResult",
    "ToolkitError",
    "ToolkitWarning",
    "__version__",
    "allocate",
    "allocate_data_constrained",
    "allocate_distillation",
    "allocate_inference",
    "allocate_precision",
    "allocate_samples",
    "average",
    "backtest",
    "bootstrap",
    "calibrate",
    "chain",
    "compare",
    "datasets",
    "discover",
    "downstream",
    "fit",
    "get_law",
    "isoflop_grid",
    "isoflop_profiles",
    "list_laws",
    "load",
    "observational",
    "optimal_mixture",
    "optimal_vocabulary",
    "overtrain_penalty",
    "profile",
    "recommend_hparams",
    "register_law",
    "report",
    "select",
    "suggest_runs",
    "testing",
]
