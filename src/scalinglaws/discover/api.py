"""``discover``: find the law form itself, scored by how it extrapolates.

The pipeline: the inputs are typed from the data (:mod:`.grammar`); the seeds of the grammar
(:mod:`.enumeration`) and every catalog law whose inputs map (:mod:`.catalog`) are scored by nested
leave-future-out error (:mod:`.scoring`); the beam of the best forms is refined (:mod:`.refinement`),
equivalent forms merged by canonical form (:mod:`.canonical`), until nothing changes or the time runs
out (:mod:`.search`). The finalists are scored again with full fits, the winner is refitted on all the
data, and the result (:mod:`.result`) holds that fit and the leaderboard.
"""

from __future__ import annotations

import re
import time
from collections.abc import Callable, Mapping, Sequence
from typing import Any

import numpy as np

from scalinglaws import _validation as v
from scalinglaws.data.io import columns_of
from scalinglaws.discover._rules import RULES
from scalinglaws.discover.canonical import canonical
from scalinglaws.discover.catalog import Binding, bindings, equivalents
from scalinglaws.discover.grammar import Input, Vocabulary, input_kind
from scalinglaws.discover.result import Discovery, Entry
from scalinglaws.discover.scoring import (
    Candidate,
    Context,
    Score,
    Settings,
    Splits,
    full_settings,
    make_splits,
    outside_optima,
    rank,
    score,
    search_settings,
    ties,
)
from scalinglaws.discover.search import Proposals, SearchProgress, on_executor, search
from scalinglaws.errors import ArgumentError, DataError, MissingColumnError, ToolkitError
from scalinglaws.executors import AbstractExecutor, executor_for
from scalinglaws.fit import api as engine
from scalinglaws.fit.config import FitConfig
from scalinglaws.fit.result import FitResult
from scalinglaws.laws import COLUMN_ALIASES, DEFAULT_COST, ColumnMap, as_cost_model
from scalinglaws.laws._formula import FUNCTIONS

__all__ = ["discover"]

SEARCH_SHARE = 0.8
"""Share of the budget spent searching; the rest goes to full fits of the finalists."""
FINAL_SHARE = 0.95
"""Finalists are rescored with full fits until this share of the budget; the winners' refits on all
the data come after."""
FINALISTS = 3
"""The best candidates of each target scored again with the engine's full settings."""
FULL_COST = 3.0
"""About how many times longer a candidate takes to score with full fits than with the search's."""
MIN_ROWS = 8
"""Fewer runs than this cannot be split into a past and a future twice."""


def discover(
    data: Any,
    target: str | Sequence[str] = "loss",
    *,
    inputs: Sequence[str] | Mapping[str, str] | None = None,
    group: str | None = None,
    split_by: str = "auto",
    budget_s: float = 120.0,
    seed: int = 0,
    top: int = 10,
    max_candidates: int | None = None,
    progress: Callable[[SearchProgress], None] | None = None,
    executor: str | AbstractExecutor | None = None,
    address: str | None = None,
) -> Discovery:
    """Search the forms published laws are made of for the one that extrapolates best.

    Parameters
    ----------
    data
        The runs: a frame, a mapping of columns, or a path (as :func:`scalinglaws.fit`).
    target
        The column to predict, or several (one form per target, or one shared form when it scores as
        well on each).
    inputs
        The columns forms may read: column names, literature symbols with a column (``N`` ->
        ``n_params``), or ``"SYMBOL=COLUMN"`` (a mapping symbol -> column also works). Default: every
        numeric column with finite, non-constant values that is neither a target nor the group.
    group
        Column whose values get their own constants: one form for all groups, fitted per group, and
        the variant with every exponent and scale shared across groups where that scores better.
    split_by
        The axis runs are ordered along for leave-future-out scoring: a column, an input symbol, ``C``
        (compute: a compute column, else ``6*N*D``), or ``"auto"`` (compute when there is a compute
        column or N and D, else the scale input spanning the most decades, else the first input).
    budget_s
        Seconds for the search (about 80%) and the finalists' full fits (about 15%); the winners'
        refits on all the data come after.
    seed
        Seeds every fit (Sobol starts in many dimensions). The order of the search does not depend on
        time, so a search that completes within its budget is the same on every run.
    top
        Forms kept on each leaderboard.
    max_candidates
        Stop after scoring this many candidates per target (None: no limit). Unlike the time budget,
        the limit gives the same result on every machine.
    progress
        Called after every scored chunk with a :class:`SearchProgress` (the CLI draws its bar with it).
    executor, address
        Score the candidates on an executor (``"local"``, ``"ray"``, ``"ray://HOST:PORT"`` or an
        executor; ``address`` alone means Ray there), a wave of chunks of candidates at a time. The
        candidates and their scores are those of a search without one; the budget is checked between
        waves. The finalists' fits and the refits run here.

    Returns
    -------
    Discovery
        The winner refitted on all the data per target (``fits``, a :class:`FitResult` each), the
        leaderboards, and how the search went.

    Raises
    ------
    ArgumentError
        If an argument has a value it cannot take, or an input column is not numeric or constant.
    MissingColumnError
        If a target, input, group or ``split_by`` column is absent.
    DataError
        If the table has bad rows, or too few runs to split twice along the axis.

    Examples
    --------
    >>> import scalinglaws as sl
    >>> runs = sl.testing.synthetic_runs("power", n_runs=30, seed=0)
    >>> found = sl.discover(runs, target="loss", inputs=["x"], budget_s=20)
    >>> found.best.n_params <= 5
    True
    """
    begin = time.monotonic()
    checked = {"budget_s": budget_s, "top": top, "seed": seed, "max_candidates": max_candidates}
    v.check_all("discover", RULES, {k: x for k, x in checked.items() if x is not None})
    columns = columns_of(data, "discover")
    targets = _targets(target, columns)
    if group is not None and group not in columns:
        raise MissingColumnError(
            f"group column {group!r} of discover is missing. Available columns: {sorted(columns)}."
        )
    resolved = resolve_inputs(columns, inputs, targets, group)
    axis, note = resolve_axis(columns, resolved, split_by)
    labels = None if group is None else np.asarray([str(g) for g in columns[group]])
    splits = make_splits(axis, labels, note)
    _check_size(splits, axis, note)
    used = {i.column for i in resolved} | set(targets) | ({group} if group else set())
    space = {
        t: "log" if np.all(np.asarray(columns[t], dtype=float) > 0) else "linear" for t in targets
    }
    vocabulary = Vocabulary.of(resolved, columns)
    catalog = bindings(resolved)
    reserved = {*columns, *COLUMN_ALIASES, *FUNCTIONS}
    proposals = Proposals(vocabulary, reserved, grouped=group is not None)
    subset = {
        c: np.asarray(columns[c]) if c == group else np.asarray(columns[c], dtype=float)
        for c in used
    }
    contexts = {t: Context(subset, t, group, space[t], splits) for t in targets}  # type: ignore[arg-type]

    runner = executor_for(executor, address, function="discover")
    mapper = map if runner is None else on_executor(runner)
    searches = {}
    for k, t in enumerate(targets):
        deadline = begin + budget_s * SEARCH_SHARE * (k + 1) / len(targets)
        searches[t] = search(
            contexts[t],
            proposals,
            catalog,
            search_settings(seed),
            deadline,
            progress,
            max_candidates,
            mapper,
        )
    scores = {t: list(searches[t].scores) for t in targets}
    finals = begin + budget_s * FINAL_SHARE
    full = full_settings(seed)
    for t in targets:
        scores[t] = _rescore(scores[t], contexts[t], full, finals)
    notes: list[str] = []
    ranked = {t: rank(scores[t], contexts[t].splits.clusters) for t in targets}
    shared = _share(scores, contexts, full, notes) if len(targets) > 1 else None
    if shared is not None:
        ranked = {
            t: [
                shared[t],
                *[s for s in rank(scores[t], contexts[t].splits.clusters) if s is not shared[t]],
            ]
            for t in targets
        }
    fits, boards = {}, {}
    for t in targets:
        fits[t], winner = _refit(ranked[t], contexts[t], columns, full, note, len(scores[t]), notes)
        boards[t] = _leaderboard(ranked[t], winner, catalog, top)
    n_evaluated = sum(len(s) for s in scores.values())
    return Discovery(
        targets=targets,
        fits=fits,
        leaderboards=boards,
        inputs={i.symbol: i.column for i in resolved},
        axis=note,
        group=group,
        space=space,
        shared_form=shared is not None,
        n_evaluated=n_evaluated,
        n_discarded=sum(1 for s in scores.values() for x in s if not x.ok),
        seconds=time.monotonic() - begin,
        stopped=next((o.stopped for o in searches.values() if o.stopped != "complete"), "complete"),
        seed=seed,
        budget_s=budget_s,
        notes=tuple(notes),
    )


def _targets(target: str | Sequence[str], columns: Mapping[str, np.ndarray]) -> tuple[str, ...]:
    names = (target,) if isinstance(target, str) else tuple(target)
    if not names or len(set(names)) != len(names) or not all(_is_name(n) for n in names):
        raise v.argument_error(
            "discover", "target", target, "a column name or distinct column names"
        )
    for name in names:
        if name not in columns:
            raise MissingColumnError(
                f"target column {name!r} of discover is missing. Available columns: {sorted(columns)}. "
                "Name the target with `target=COLUMN` (CLI: `--target COLUMN`)."
            )
        if not _numeric(columns[name]):
            raise v.argument_error("discover", "target", name, "a numeric column")
    return names


def _is_name(value: object) -> bool:
    """A non-empty string (checked at run time: callers may pass anything)."""
    return isinstance(value, str) and bool(value)


def _numeric(values: np.ndarray) -> bool:
    return np.asarray(values).dtype.kind in "iuf"


_SYMBOL_OF = {column: symbol for symbol, column in COLUMN_ALIASES.items()}


def resolve_inputs(
    columns: Mapping[str, np.ndarray],
    inputs: Sequence[str] | Mapping[str, str] | None,
    targets: Sequence[str],
    group: str | None,
) -> list[Input]:
    """The typed inputs of the search.

    Raises
    ------
    MissingColumnError
        If a named input is not a column (directly or as a literature symbol's column).
    ArgumentError
        If an input column is not numeric, is constant, is a target or the group, or has no usable
        symbol.
    DataError
        If an input column has non-finite values.
    """
    pairs: list[tuple[str | None, str]] = []
    if inputs is None:
        for column, values in columns.items():
            if column in targets or column == group or not _numeric(values):
                continue
            floats = np.asarray(values, dtype=float)
            if np.all(np.isfinite(floats)) and np.unique(floats).size > 1:
                pairs.append((None, column))
        if not pairs:
            raise ArgumentError(
                f"`inputs` of discover: the table has no numeric, finite, non-constant column besides the "
                f"target(s) {list(targets)}. Columns: {sorted(columns)}.",
                argument="inputs",
                function="discover",
            )
    else:
        items = (
            list(inputs.items())
            if isinstance(inputs, Mapping)
            else [_split_input(x) for x in inputs]
        )
        if not items:
            raise v.argument_error("discover", "inputs", inputs, "at least one column")
        for symbol, name in items:
            if name in columns:
                pairs.append((symbol, name))
                continue
            alias = ColumnMap().column(name, columns) if symbol is None else None
            if alias is None:
                raise MissingColumnError(
                    f"input column {name!r} of discover is missing. Available columns: {sorted(columns)}. "
                    "Name columns, literature symbols with a column (N -> n_params), or SYMBOL=COLUMN "
                    "(CLI: `--inputs N=num_params,D=tokens`)."
                )
            pairs.append((name, alias))
    out: list[Input] = []
    for symbol, column in pairs:
        out.append(_typed(columns, symbol, column, targets, group, {i.symbol for i in out}))
    if len({i.column for i in out}) != len(out):
        raise v.argument_error("discover", "inputs", inputs, "distinct columns")
    return out


def _split_input(item: str) -> tuple[str | None, str]:
    if not isinstance(item, str):
        raise v.argument_error("discover", "inputs", item, "column names or SYMBOL=COLUMN strings")
    if "=" in item:
        symbol, column = (part.strip() for part in item.split("=", 1))
        return symbol, column
    return None, item.strip()


def _typed(
    columns: Mapping[str, np.ndarray],
    symbol: str | None,
    column: str,
    targets: Sequence[str],
    group: str | None,
    taken: set[str],
) -> Input:
    if column in targets or column == group:
        role = "a target" if column in targets else "the group column"
        raise v.argument_error("discover", "inputs", column, f"a column other than {role}")
    if not _numeric(columns[column]):
        raise v.argument_error(
            "discover", "inputs", column, "numeric columns", f"Column {column!r} is not numeric."
        )
    values = np.asarray(columns[column], dtype=float)
    bad = np.flatnonzero(~np.isfinite(values))
    if bad.size:
        raise DataError(
            f"column {column!r} (an input of discover) must be finite; {bad.size} row(s) are not "
            f"(rows {bad[:5].tolist()}, counting from 0). Drop or fill them first. Nothing was dropped."
        )
    if np.unique(values).size < 2:
        raise v.argument_error(
            "discover",
            "inputs",
            column,
            "columns that vary",
            f"Column {column!r} has one value only.",
        )
    if symbol is None:
        alias = _SYMBOL_OF.get(column)
        symbol = (
            alias if alias is not None and alias not in columns and alias not in taken else column
        )
        if not symbol.isidentifier():
            symbol = re.sub(r"\W", "_", symbol)
            symbol = symbol if symbol[0].isalpha() else f"x_{symbol}"
    if not symbol.isidentifier() or symbol in FUNCTIONS or symbol in taken:
        raise v.argument_error(
            "discover",
            "inputs",
            symbol,
            "distinct Python names for the formula symbols",
            f"Give one with SYMBOL={column}.",
        )
    return Input(symbol, column, input_kind(values), float(values.min()), float(values.max()))


def resolve_axis(
    columns: Mapping[str, np.ndarray], inputs: Sequence[Input], split_by: str
) -> tuple[np.ndarray, str]:
    """The ordering axis of the leave-future-out splits and a note on where it came from.

    Raises
    ------
    MissingColumnError
        If ``split_by`` is neither ``"auto"``, a column, an input symbol nor ``C`` with N and D.
    DataError
        If the axis has non-finite values.
    """
    if not _is_name(split_by):
        raise v.argument_error(
            "discover", "split_by", split_by, "'auto', a column or an input symbol"
        )
    by_symbol = {i.symbol: i for i in inputs}
    axis: tuple[np.ndarray, str] | None = None
    if split_by == "auto":
        axis = _compute(columns, by_symbol)
        if axis is None:
            scales = [i for i in inputs if i.kind == "scale"]
            chosen = max(scales, key=lambda i: i.decades) if scales else inputs[0]
            axis = (np.asarray(columns[chosen.column], dtype=float), f"column {chosen.column!r}")
    elif split_by in columns:
        axis = (np.asarray(columns[split_by], dtype=float), f"column {split_by!r}")
    elif split_by in by_symbol:
        column = by_symbol[split_by].column
        axis = (np.asarray(columns[column], dtype=float), f"column {column!r} ({split_by})")
    elif split_by == "C":
        axis = _compute(columns, by_symbol)
    if axis is None:
        raise MissingColumnError(
            f"`split_by` {split_by!r} of discover is neither a column nor an input symbol (or C with N and "
            f"D inputs). Columns: {sorted(columns)}; inputs: {sorted(by_symbol)}. Pass a column, or auto."
        )
    values, note = axis
    bad = np.flatnonzero(~np.isfinite(values))
    if bad.size:
        raise DataError(
            f"the split axis ({note}) must be finite; rows {bad[:5].tolist()} are not. Fix them first."
        )
    return values, note


def _compute(
    columns: Mapping[str, np.ndarray], by_symbol: Mapping[str, Input]
) -> tuple[np.ndarray, str] | None:
    """A compute axis: the input with symbol C, a ``flops`` column, or the cost of the N and D inputs."""
    if "C" in by_symbol:
        column = by_symbol["C"].column
        return np.asarray(columns[column], dtype=float), f"column {column!r} (C)"
    flops = COLUMN_ALIASES["C"]
    if flops in columns and _numeric(columns[flops]):
        return np.asarray(columns[flops], dtype=float), f"column {flops!r}"
    if "N" in by_symbol and "D" in by_symbol:
        n, d = by_symbol["N"].column, by_symbol["D"].column
        model = as_cost_model(DEFAULT_COST)
        cost = model.flops(columns[n], columns[d])
        return np.asarray(cost, dtype=float), f"C = {model.formula} (N = {n!r}, D = {d!r})"
    return None


def _check_size(splits: Splits, axis: np.ndarray, note: str) -> None:
    if axis.size < MIN_ROWS or not splits.outer_test.any() or not splits.inner:
        raise DataError(
            f"discover needs runs at 5 or more distinct values of the split axis ({note}) and at least "
            f"{MIN_ROWS} runs, to hold out the future twice (once to choose forms, once to score them); "
            f"the table has {axis.size} run(s) at {np.unique(axis).size} value(s). Add runs, or split by "
            "another axis (`split_by`)."
        )


def _rescore(
    scores: list[Score], context: Context, settings: Settings, deadline: float
) -> list[Score]:
    """``scores`` with the finalists scored again with full fits (while time remains)."""
    out = list(scores)
    for finalist in rank(scores, context.splits.clusters)[:FINALISTS]:
        # A full fit costs several times a search fit (a larger grid, more polished starts, more
        # iterations): skip a finalist whose rescoring would overrun the deadline.
        if time.monotonic() + FULL_COST * finalist.seconds >= deadline:
            continue
        again = score(finalist.candidate, context, settings, full=True)
        out[next(i for i, s in enumerate(out) if s is finalist)] = again
    return out


def _share(
    scores: dict[str, list[Score]],
    contexts: Mapping[str, Context],
    settings: Settings,
    notes: list[str],
) -> dict[str, Score] | None:
    """One form for every target, when one scores as well as each target's own winner (within noise):
    its score per target. The candidates are the targets' winners; of those that tie with every
    target's winner, the one with the lowest total nested error."""
    winners = {
        t: ranked[0]
        for t, ranked in ((t, rank(s, contexts[t].splits.clusters)) for t, s in scores.items())
        if ranked
    }
    if len(winners) != len(scores):
        return None
    options: list[tuple[float, str, dict[str, Score]]] = []
    distinct: dict[str, Candidate] = {}
    for w in winners.values():
        distinct.setdefault(w.candidate.key, w.candidate)
    for candidate in distinct.values():
        per_target = {}
        for t in winners:
            found = next(
                (s for s in scores[t] if s.candidate.key == candidate.key and s.full), None
            )
            if found is None:
                found = score(candidate, contexts[t], settings, full=True)
                scores[t].append(found)
            per_target[t] = found
        if all(ties(per_target[t], winners[t], contexts[t].splits.clusters) for t in winners):
            options.append((sum(s.error for s in per_target.values()), candidate.label, per_target))
    if not options:
        notes.append(
            "no single form scores as well as each target's own winner: one form per target"
        )
        return None
    return min(options, key=lambda o: (o[0], o[1]))[2]


def _refit(
    ranked: list[Score],
    context: Context,
    columns: Mapping[str, np.ndarray],
    settings: Settings,
    note: str,
    n_scored: int,
    notes: list[str],
) -> tuple[FitResult, Score]:
    """The best-ranked candidate whose full fit on all the data is sound (not degenerate), as a fit."""
    if not ranked:
        raise DataError(
            f"discover found no form that fits target {context.target!r} soundly: every candidate failed "
            "or was degenerate. Check the target and the inputs."
        )
    for position, chosen in enumerate(ranked[:FINALISTS]):
        provenance = (
            (
                f"scalinglaws discover: rank {position + 1} of {n_scored} candidates by nested leave-future-out "
                f"error {chosen.error:.4g} along {note}; held-out error {chosen.outer_error:.4g}, R2 "
                f"{chosen.outer_r2:.4g}"
            ),
        )
        try:
            result = _fit_all(chosen.candidate, context, columns, settings, provenance)
        except ToolkitError as exc:
            notes.append(
                f"{chosen.candidate.label}: the fit on all the data failed ({exc}); next form"
            )
            continue
        if not any(d.kind == "degenerate" for d in result.diagnostics) and not outside_optima(
            result, chosen.candidate, columns
        ):
            return result, chosen
        notes.append(f"{chosen.candidate.label}: degenerate on all the data; next form")
    raise DataError(
        f"discover: none of the best {FINALISTS} forms for target {context.target!r} fits all the data "
        "soundly (each fit failed or was degenerate)."
    )


def _fit_all(
    candidate: Candidate,
    context: Context,
    columns: Mapping[str, np.ndarray],
    settings: Settings,
    provenance: tuple[str, ...],
) -> FitResult:
    config = FitConfig(
        target=context.target,
        mapping=dict(candidate.mapping),
        init=dict(candidate.init),
        bounds=dict(candidate.bounds),
        group=context.group,
        shared=candidate.shared,
        space=context.space,
        provenance=provenance,
        **settings.options(),
    )
    return engine.fit(columns, candidate.law, config=config)


def _leaderboard(
    ranked: list[Score], winner: Score, catalog: Sequence[Binding], top: int
) -> tuple[Entry, ...]:
    """The winner, then the best other forms, one per canonical identity and sharing."""
    ordered = [winner, *[s for s in ranked if s is not winner]]
    entries: list[Entry] = []
    seen: set[str] = set()
    for s in ordered:
        c = s.candidate
        if c.key in seen:
            continue
        seen.add(c.key)
        entries.append(
            Entry(
                rank=len(entries) + 1,
                formula=c.formula,
                law=c.catalog,
                n_params=c.n_params,
                n_free=s.n_free,
                shared=c.shared,
                objective=s.objective,
                bic=s.bic,
                error=s.error,
                outer_error=s.outer_error,
                outer_r2=s.outer_r2,
                equivalent=equivalents(c.identity, catalog),
                status=s.status,
                full=s.full,
                mapping=c.mapping,
            )
        )
        if len(entries) == top:
            break
    return tuple(entries)


def identity_of(formula: str, mapping: Mapping[str, str]) -> str:
    """The canonical identity of a formula over inputs mapped to columns (for tests and benchmarks)."""
    return canonical(formula, mapping).identity
