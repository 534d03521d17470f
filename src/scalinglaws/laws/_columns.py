"""Which data column a law's input symbol reads: the one rule, used by fit, predict, plots and backtests."""

from __future__ import annotations

from collections.abc import Collection, Iterator, Mapping
from dataclasses import dataclass, field
from types import MappingProxyType

COLUMN_ALIASES: Mapping[str, str] = MappingProxyType({
    "N": "n_params",
    "D": "n_tokens",
    "C": "flops",
    "U": "n_unique_tokens",
})
"""Descriptive column a literature symbol reads when the data has no column named like the symbol."""


@dataclass(frozen=True)
class ColumnMap(Mapping[str, str]):
    """Law symbol -> data column: explicit entries first, then a column named like the symbol, then the
    symbol's descriptive alias (``N -> n_params``, ``D -> n_tokens``, ``C -> flops``,
    ``U -> n_unique_tokens``).

    As a mapping it holds only the explicit entries (``--map SYMBOL=COLUMN``); :meth:`column` applies
    the whole rule against the columns a table has.
    """

    explicit: Mapping[str, str] = field(default_factory=dict)

    def __post_init__(self) -> None:
        object.__setattr__(self, "explicit", MappingProxyType(dict(self.explicit)))

    def __getitem__(self, symbol: str) -> str:
        return self.explicit[symbol]

    def __iter__(self) -> Iterator[str]:
        return iter(self.explicit)

    def __len__(self) -> int:
        return len(self.explicit)

    def column(self, symbol: str, columns: Collection[str]) -> str | None:
        """The column ``symbol`` reads among ``columns``, or None when the table has none for it."""
        if symbol in self.explicit:
            mapped = self.explicit[symbol]
            return mapped if mapped in columns else None
        if symbol in columns:
            return symbol
        alias = COLUMN_ALIASES.get(symbol)
        return alias if alias in columns else None

    def candidates(self, symbol: str) -> tuple[str, ...]:
        """The columns looked for, in order (for messages naming what is missing)."""
        if symbol in self.explicit:
            return (self.explicit[symbol],)
        alias = COLUMN_ALIASES.get(symbol)
        return (symbol,) if alias is None else (symbol, alias)

    def describe(self, symbol: str) -> str:
        """How ``symbol`` finds its column, for help texts: ``"N, else n_params"``."""
        return ", else ".join(self.candidates(symbol))
