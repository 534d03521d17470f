"""The result of a discovery: the winning form refitted on all the data, and the leaderboard."""

from __future__ import annotations

import json
import math
from collections.abc import Mapping
from dataclasses import dataclass, field
from types import MappingProxyType
from typing import Any

from scalinglaws.discover.scoring import Stop
from scalinglaws.errors import ArgumentError
from scalinglaws.fit.result import FitResult


@dataclass(frozen=True, eq=False)
class Entry:
    """One form on the leaderboard.

    ``error`` is the nested leave-future-out error that ranks forms (mean absolute log error of the inner
    splits' held-out runs); ``outer_error`` (mean absolute relative error) and ``outer_r2`` score the
    fit on the outer training part against the outer held-out runs, which no choice has seen;
    ``objective`` and ``bic`` are in-sample, on the outer training part. ``n_params`` counts the form's
    parameters, ``n_free`` the values fitted (per group, for a grouped search); ``shared`` names the
    parameters that take one value across groups. ``equivalent`` lists the catalog laws the form is
    equal to up to reparametrisation; ``law`` is the catalog law the entry was fitted as ("" for a
    form of the grammar). ``full`` is true when the scores come from full fits (the finalists) rather
    than the search's cheap ones.
    """

    rank: int
    formula: str
    law: str
    n_params: int
    n_free: int
    shared: tuple[str, ...]
    objective: float
    bic: float
    error: float
    outer_error: float
    outer_r2: float
    equivalent: tuple[str, ...]
    status: str
    full: bool
    mapping: Mapping[str, str] = field(default_factory=dict)
    """Each input symbol of ``formula`` -> the column it reads."""

    def __post_init__(self) -> None:
        object.__setattr__(self, "mapping", MappingProxyType(dict(self.mapping)))

    def to_dict(self) -> dict[str, Any]:
        return {
            "rank": self.rank,
            "formula": self.formula,
            "mapping": dict(self.mapping),
            "law": self.law,
            "n_params": self.n_params,
            "n_free": self.n_free,
            "shared": list(self.shared),
            "objective": _finite(self.objective),
            "bic": _finite(self.bic),
            "nested_error": _finite(self.error),
            "heldout_error": _finite(self.outer_error),
            "heldout_r2": _finite(self.outer_r2),
            "equivalent": list(self.equivalent),
            "status": self.status,
            "full_fit": self.full,
        }


def _finite(value: float) -> float | None:
    return value if math.isfinite(value) else None


@dataclass(frozen=True, eq=False)
class Discovery:
    """Forms found for one or several targets.

    ``fits`` holds, per target, the winning form refitted on all the data (a :class:`FitResult`:
    ``predict``, ``plan``, ``report`` and ``save`` work as for any fit); ``leaderboards`` the best forms,
    best first. ``inputs`` maps each input symbol to its column, ``axis`` says how runs were ordered,
    ``shared_form`` whether one form serves every target. ``stopped`` is ``"complete"`` when the search
    ran out of forms to try, ``"budget"`` when the time budget stopped it (the results are then the best
    found so far, and how far the search got depends on the machine), ``"limit"`` when
    ``max_candidates`` did.
    """

    targets: tuple[str, ...]
    fits: Mapping[str, FitResult]
    leaderboards: Mapping[str, tuple[Entry, ...]]
    inputs: Mapping[str, str]
    axis: str
    group: str | None
    space: Mapping[str, str]
    shared_form: bool
    n_evaluated: int
    n_discarded: int
    seconds: float
    stopped: Stop
    seed: int
    budget_s: float
    notes: tuple[str, ...] = field(default_factory=tuple)

    def __post_init__(self) -> None:
        object.__setattr__(self, "fits", MappingProxyType(dict(self.fits)))
        object.__setattr__(self, "leaderboards", MappingProxyType(dict(self.leaderboards)))
        object.__setattr__(self, "inputs", MappingProxyType(dict(self.inputs)))
        object.__setattr__(self, "space", MappingProxyType(dict(self.space)))

    def _only(self, what: str) -> str:
        if len(self.targets) != 1:
            raise ArgumentError(
                f"this discovery has several targets {list(self.targets)}; use `{what}[target]`.",
                argument="target",
                function=f"Discovery.{what}",
            )
        return self.targets[0]

    @property
    def best(self) -> FitResult:
        """The winning form of the only target, refitted on all the data."""
        return self.fits[self._only("fits")]

    @property
    def leaderboard(self) -> tuple[Entry, ...]:
        """The leaderboard of the only target."""
        return self.leaderboards[self._only("leaderboards")]

    @property
    def winner(self) -> Entry:
        """The winning entry of the only target's leaderboard (the form of :attr:`best`)."""
        return self.leaderboard[0]

    @property
    def headline(self) -> str:
        """One line on how the search went: candidates scored, time, why it stopped, the split axis."""
        where = f"split along {self.axis}" + (
            f", per group of {self.group!r}" if self.group else ""
        )
        head = (
            f"{self.n_evaluated} candidate fits scored ({self.n_discarded} discarded) in "
            f"{self.seconds:.1f} s; search {_STOPPED[self.stopped]}; {where}"
        )
        if self.shared_form and len(self.targets) > 1:
            head += f"\none form for every target: {self.leaderboards[self.targets[0]][0].formula}"
        return head

    def summary(self) -> str:
        """The leaderboards as text tables, one per target."""
        blocks = [self.headline]
        for target in self.targets:
            blocks.append(f"\ntarget {target!r} ({self.space[target]} residuals):")
            blocks.append(_table(self.leaderboards[target]))
            blocks.append(LEGEND)
        blocks.extend(f"note: {n}" for n in self.notes)
        return "\n".join(blocks)

    def __repr__(self) -> str:
        best = "; ".join(f"{t}: {self.leaderboards[t][0].formula}" for t in self.targets)
        return f"Discovery({best})"

    def to_dict(self) -> dict[str, Any]:
        return {
            "targets": list(self.targets),
            "inputs": dict(self.inputs),
            "axis": self.axis,
            "group": self.group,
            "space": dict(self.space),
            "shared_form": self.shared_form,
            "n_evaluated": self.n_evaluated,
            "n_discarded": self.n_discarded,
            "seconds": self.seconds,
            "stopped": self.stopped,
            "seed": self.seed,
            "budget_s": self.budget_s,
            "notes": list(self.notes),
            "leaderboards": {
                t: [e.to_dict() for e in board] for t, board in self.leaderboards.items()
            },
            # Each fit as its own file has it (non-finite numbers encoded), so the document is strict JSON.
            "fits": {t: json.loads(fit.to_json()) for t, fit in self.fits.items()},
        }

    def to_json(self) -> str:
        return json.dumps(self.to_dict(), allow_nan=False)


_STOPPED = {
    "complete": "complete",
    "budget": "stopped by the budget",
    "limit": "stopped at max_candidates",
}


def pct(value: float) -> str:
    """An error as a percentage (3 significant digits; ">999%" beyond; "-" when not finite)."""
    if not math.isfinite(value):
        return "-"
    return f"{100 * value:.3g}%" if value < 9.995 else ">999%"


def r2_text(value: float) -> str:
    """An R² to 4 decimals ("<-99" below -99, as past that only the sign says anything; "-" when not
    finite)."""
    if not math.isfinite(value):
        return "-"
    return f"{value:.4f}" if value >= -99 else "<-99"


def _table(entries: tuple[Entry, ...]) -> str:
    header = (
        "rank",
        "k",
        "objective",
        "nested err",
        "held-out err",
        "held-out R2",
        "catalog",
        "formula",
    )
    rows = [header]
    for e in entries:
        formula = e.formula + (
            f"   [shared across groups: {', '.join(e.shared)}]" if e.shared else ""
        )
        rows.append(
            (
                f"{e.rank}{'' if e.full else '*'}",
                str(e.n_params),
                f"{e.objective:.4g}",
                pct(e.error),
                pct(e.outer_error),
                r2_text(e.outer_r2),
                ", ".join(e.equivalent) or "-",
                formula,
            )
        )
    widths = [max(len(r[i]) for r in rows) for i in range(len(header) - 1)]
    lines = [
        "  ".join(c.ljust(w) for c, w in zip(r[:-1], widths, strict=True)) + "  " + r[-1]
        for r in rows
    ]
    return "\n".join(lines)


LEGEND = (
    "k = parameters of the form; objective = in-sample, on the runs before the held-out part;\n"
    "nested err = leave-future-out error inside them, which ranks the forms (the simplest of the\n"
    "forms tied with the best within noise wins); held-out err / R2 = on the held-out top of the\n"
    "axis, never used to choose; * = scored with the search's cheap fits"
)
"""What the leaderboard's columns mean (printed under every leaderboard)."""
