"""The rules of the backtest's own arguments, apart so the command line reads them without the engine."""

from __future__ import annotations

from collections.abc import Mapping

from scalinglaws import _validation as v

RULES: Mapping[str, v.Rule] = {
    "train_fractions": v.fractions(),
    "prob": v.probability(),
    "n_boot": v.non_negative_integer(),
}
"""``backtest``'s (and ``select``'s) own arguments; the CLI's callbacks run the same rules."""
