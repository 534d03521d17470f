"""scalinglaws: fit, trust, compare and use neural scaling laws.

Names are loaded on first use, so ``import scalinglaws`` (and every command's start) costs almost
nothing: ``sl.fit`` imports the engine when it is first called, ``sl.plan`` functions the planner.
``sl.fit`` is the engine package ``scalinglaws.fit``, which is callable (see its docstring).
"""

from __future__ import annotations

import importlib
from importlib.metadata import PackageNotFoundError, version
from typing import TYPE_CHECKING, Any

from scalinglaws import _views
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
    from scalinglaws import testing
    from scalinglaws.data import datasets
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
        allocate,
        allocate_data_constrained,
        allocate_inference,
        isoflop_grid,
        isoflop_profiles,
        overtrain_penalty,
        recommend_hparams,
        suggest_runs,
    )
    from scalinglaws.trust import BacktestResult, SelectionResult, backtest, select

try:
    __version__ = version("scalinglaws")
except PackageNotFoundError:  # running from a source tree that is not installed
    __version__ = "0+unknown"

_MODULES: dict[str, str] = {
    "fit": "scalinglaws.fit",  # the engine package, which is callable
    "testing": "scalinglaws.testing",
    "datasets": "scalinglaws.data.datasets",
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
    "allocate_inference": "scalinglaws.plan",
    "isoflop_grid": "scalinglaws.plan",
    "isoflop_profiles": "scalinglaws.plan",
    "overtrain_penalty": "scalinglaws.plan",
    "recommend_hparams": "scalinglaws.plan",
    "suggest_runs": "scalinglaws.plan",
    "BacktestResult": "scalinglaws.trust.backtesting",
    "SelectionResult": "scalinglaws.trust.selection",
    "backtest": "scalinglaws.trust.backtesting",
    "select": "scalinglaws.trust.selection",
}
"""Public name -> the module that defines it."""


def __getattr__(name: str) -> Any:
    if name in _MODULES:
        value: Any = importlib.import_module(_MODULES[name])
    elif name in _LAZY:
        value = getattr(importlib.import_module(_LAZY[name]), name)
    else:
        raise AttributeError(f"module 'scalinglaws' has no attribute {name!r}")
    globals()[name] = value
    return value


def __dir__() -> list[str]:
    return sorted({*globals(), *_MODULES, *_LAZY})


def _load_views() -> None:
    importlib.import_module("scalinglaws.report.notebook")


_views.set_loader(_load_views)

__all__ = [
    "Allocation",
    "ArgumentError",
    "BacktestResult",
    "BootstrapResult",
    "ColumnMap",
    "ConvergenceError",
    "CostModel",
    "DataError",
    "ExtrapolationWarning",
    "FitConfig",
    "FitError",
    "FitResult",
    "FitStatus",
    "IdentifiabilityWarning",
    "Interval",
    "Law",
    "LawSpecError",
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
    "allocate_inference",
    "backtest",
    "bootstrap",
    "datasets",
    "fit",
    "get_law",
    "isoflop_grid",
    "isoflop_profiles",
    "list_laws",
    "load",
    "overtrain_penalty",
    "profile",
    "recommend_hparams",
    "register_law",
    "report",
    "select",
    "suggest_runs",
    "testing",
]
