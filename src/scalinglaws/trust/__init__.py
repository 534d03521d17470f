"""How far to trust a law: backtests of its extrapolation and selection among laws.

Names load on first use (the command line reads the argument rules without loading the engine).
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from scalinglaws import _lazy

if TYPE_CHECKING:
    from scalinglaws.trust.averaging import Average, average
    from scalinglaws.trust.backtesting import BacktestResult, backtest
    from scalinglaws.trust.calibration import calibrate
    from scalinglaws.trust.selection import SelectionResult, select

__all__ = ["Average", "BacktestResult", "SelectionResult", "average", "backtest", "calibrate", "select"]

__getattr__, __dir__ = _lazy.attributes(__name__, globals(), {
    "Average": "scalinglaws.trust.averaging",
    "average": "scalinglaws.trust.averaging",
    "BacktestResult": "scalinglaws.trust.backtesting",
    "backtest": "scalinglaws.trust.backtesting",
    "calibrate": "scalinglaws.trust.calibration",
    "SelectionResult": "scalinglaws.trust.selection",
    "select": "scalinglaws.trust.selection",
})
