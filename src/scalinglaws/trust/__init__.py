"""How far to trust a law: backtests of its extrapolation and selection among laws."""

from scalinglaws.trust.backtesting import BacktestResult, backtest
from scalinglaws.trust.selection import SelectionResult, select

__all__ = ["BacktestResult", "SelectionResult", "backtest", "select"]
