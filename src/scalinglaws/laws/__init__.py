"""Laws as values: formula, parameter specs and metadata; what every other part needs to read them.

``parse_formula``, ``formula_names`` and ``evaluate`` are the public way to read a formula (the report
draws it as math, the planner evaluates it); ``ColumnMap`` is the one symbol -> column rule, and
``CostModel`` the one named cost of a run (``C = 6*N*D`` by default; ``moe_cost`` charges a mixture of
experts by its active parameters).
"""

from scalinglaws.laws._columns import COLUMN_ALIASES, ColumnMap
from scalinglaws.laws._cost import DEFAULT_COST, CostModel, as_cost_model, cost_model, moe_cost
from scalinglaws.laws._formula import (
    evaluate,
    formula_names,
    history_sum,
    is_equation,
    parse_formula,
)
from scalinglaws.laws._law import Law
from scalinglaws.laws._spec import ParamSpec
from scalinglaws.laws.registry import get_law, list_laws, register_law

__all__ = [
    "COLUMN_ALIASES",
    "DEFAULT_COST",
    "ColumnMap",
    "CostModel",
    "Law",
    "ParamSpec",
    "as_cost_model",
    "cost_model",
    "evaluate",
    "formula_names",
    "get_law",
    "history_sum",
    "is_equation",
    "list_laws",
    "moe_cost",
    "parse_formula",
    "register_law",
]
