"""The search: seeds and catalog laws first, then rounds of refinement around a beam of the best forms,
until a round changes nothing or the time is up.

Every candidate is scored once: candidates are merged by canonical identity (and by which parameters
they share across groups) before they are scored. Candidates are scored in order of complexity, a
chunk at a time, through ``map(evaluate_chunk, chunks)``; the deadline is checked between chunks, so
the search stops within one chunk of it with everything scored so far. Nothing in the order depends on
timing, so a search that finishes before its deadline gives the same result on any machine.
"""

from __future__ import annotations

import itertools
import time
from collections.abc import Callable, Iterable, Iterator, Sequence
from dataclasses import dataclass

from scalinglaws.discover.canonical import canonical
from scalinglaws.discover.catalog import Binding
from scalinglaws.discover.enumeration import complexity, seeds
from scalinglaws.discover.grammar import Form, Vocabulary
from scalinglaws.discover.refinement import neighbours
from scalinglaws.discover.scoring import (
    Candidate,
    Chunk,
    Context,
    Score,
    Settings,
    Stop,
    evaluate_chunk,
    rank,
)
from scalinglaws.executors import AbstractExecutor

BEAM = 5
"""Forms refined in each round."""
MAX_ROUNDS = 8
"""Rounds of refinement at most (each round grows forms by about one block)."""
CHUNK = 4
"""Candidates scored per chunk (the deadline is checked between chunks)."""
SEED_CATALOG_PARAMS = 6
"""Catalog laws with at most this many parameters, and every catalog law reading two inputs or more
(the published joint laws: Chinchilla, Muennighoff's repeated data...), are scored with the seeds."""

Mapper = Callable[[Callable[[Chunk], list[Score]], Iterable[Chunk]], Iterable[list[Score]]]
"""How chunks are evaluated: ``map`` here, or :func:`on_executor`'s waves of chunks."""
WAVE = 16
"""Chunks sent to an executor together (the deadline is checked between waves)."""


def _apply(function: Callable[[Chunk], list[Score]], chunk: Chunk) -> list[Score]:
    return function(chunk)


def on_executor(executor: AbstractExecutor) -> Mapper:
    """A mapper that scores chunks on ``executor``, ``WAVE`` chunks at a time, in order.

    The chunks are the same as without it, and so are their scores; only the deadline is checked
    between waves instead of between chunks."""

    def mapper(function: Callable[[Chunk], list[Score]], chunks: Iterable[Chunk]) -> Iterator[list[Score]]:
        pending = iter(chunks)
        while wave := list(itertools.islice(pending, WAVE)):
            names = [f"candidates {', '.join(c.label for c in chunk.candidates)}"[:120] for chunk in wave]
            yield from executor.map(_apply, wave, function, names=names, label="discover search")

    return mapper


@dataclass(frozen=True)
class SearchProgress:
    """Where a search is: its target, seconds spent of its budget, candidates scored, and the best nested
    error and formula so far (``inf`` and "" before the first)."""

    target: str
    elapsed: float
    budget: float
    n_evaluated: int
    best_error: float
    best: str


@dataclass(frozen=True)
class Outcome:
    """Every score of a search, and why it stopped."""

    scores: tuple[Score, ...]
    stopped: Stop


class Proposals:
    """Turns forms and catalog bindings into candidates: formula, column mapping, identity and, for a
    grouped search, the variant with every nonlinear parameter shared across groups."""

    def __init__(
        self,
        vocabulary: Vocabulary,
        reserved: Iterable[str],
        grouped: bool,
        published: Iterable[str] = (),
    ) -> None:
        self.vocabulary = vocabulary
        self.reserved = frozenset(reserved)
        self.grouped = grouped
        self.published = frozenset(published)
        """Canonical identities of the catalog laws in the search."""

    def of_form(self, form: Form) -> list[Candidate]:
        rendered = form.render(self.vocabulary.inputs, self.reserved)
        mapping = {s: self.vocabulary.inputs[s].column for s in rendered.symbols}
        identity = canonical(rendered.formula, mapping).identity
        base = Candidate(
            label=rendered.formula,
            law=rendered.formula,
            mapping=mapping,
            identity=identity,
            n_params=len(rendered.params),
            complexity=complexity(form, self.vocabulary.inputs),
            init=rendered.init,
            bounds=rendered.bounds,
            form=form,
            published=identity in self.published,
            optima=tuple((self.vocabulary.inputs[h].column, p) for h, p in rendered.optima),
        )
        nonlinear = tuple(
            p for p in rendered.params if rendered.roles[p] not in ("offset", "amplitude")
        )
        return self._variants(base, nonlinear)

    def of_binding(self, binding: Binding) -> list[Candidate]:
        law = binding.law
        base = Candidate(
            label=binding.label,
            law=law,
            mapping=dict(binding.mapping),
            identity=binding.identity,
            n_params=len(law.param_names),
            complexity=(len(law.param_names), 0.5),
            catalog=binding.label,
            published=True,
        )
        nonlinear = tuple(
            p for p in law.param_names if p in law.compiled.nonlinear_params and p not in law.fixed
        )
        return self._variants(base, nonlinear)

    def _variants(self, base: Candidate, nonlinear: tuple[str, ...]) -> list[Candidate]:
        if not self.grouped or not nonlinear:
            return [base]
        shared = Candidate(
            label=f"{base.label} [shared {', '.join(nonlinear)}]",
            law=base.law,
            mapping=base.mapping,
            identity=base.identity,
            n_params=base.n_params,
            complexity=(base.complexity[0], base.complexity[1] - 0.1),
            init=base.init,
            bounds=base.bounds,
            shared=nonlinear,
            form=base.form,
            catalog=base.catalog,
            published=base.published,
            optima=base.optima,
        )
        return [base, shared]


def search(
    context: Context,
    proposals: Proposals,
    catalog: Sequence[Binding],
    settings: Settings,
    deadline: float,
    report: Callable[[SearchProgress], None] | None = None,
    limit: int | None = None,
    mapper: Mapper = map,
) -> Outcome:
    """Score the seeds and the catalog, then refine the beam until nothing changes, the rounds run out,
    ``deadline`` (a ``time.monotonic()`` value) passes or ``limit`` candidates are scored."""
    start = time.monotonic()
    seen: set[str] = set()
    scores: list[Score] = []

    def fresh(candidates: Iterable[Candidate]) -> list[Candidate]:
        out = []
        for c in candidates:
            if c.key not in seen:
                seen.add(c.key)
                out.append(c)
        return sorted(out, key=lambda c: (*c.complexity, c.label))

    stop: list[Stop] = []

    def chunks(candidates: Sequence[Candidate]) -> Iterator[Chunk]:
        queued = len(scores)
        for i in range(0, len(candidates), CHUNK):
            if scores and time.monotonic() >= deadline:
                stop.append("budget")
                return
            available = min(CHUNK, len(candidates) - i)
            size = available if limit is None else min(available, limit - queued)
            if size <= 0:
                stop.append("limit")
                return
            queued += size
            yield Chunk(tuple(candidates[i : i + size]), context, settings)
            if size < available:  # the limit cut this chunk short: the rest is not scored
                stop.append("limit")
                return

    def evaluate(candidates: Sequence[Candidate]) -> bool:
        """Score the candidates; False when the deadline or the limit stopped it."""
        done = 0
        for result in mapper(evaluate_chunk, chunks(candidates)):
            scores.extend(result)
            done += len(result)
            if report is not None:
                ranked = rank(scores, context.splits.clusters)
                best = ranked[0] if ranked else None
                report(
                    SearchProgress(
                        context.target,
                        time.monotonic() - start,
                        deadline - start,
                        len(scores),
                        best.error if best else float("inf"),
                        best.candidate.label if best else "",
                    )
                )
        return done == len(candidates)

    # Catalog laws are scored alongside forms of their size: the light ones with the seeds, the heavy
    # ones (a BNSL with three breaks) when the search reaches that size, the rest at the end.
    pending = fresh(c for b in catalog for c in proposals.of_binding(b))
    first = fresh(c for f in seeds(proposals.vocabulary) for c in proposals.of_form(f))

    def with_catalog(batch: list[Candidate], everything: bool = False) -> list[Candidate]:
        largest = max((c.complexity[0] for c in batch), default=0)
        taken = [
            c
            for c in pending
            if everything or c.complexity[0] <= max(largest, SEED_CATALOG_PARAMS) or _joint(c)
        ]
        for c in taken:
            pending.remove(c)
        return batch + taken

    # The published joint laws go first (they are the likeliest winners, and a tight budget may not
    # reach the end of the first batch), then the seeds and light laws, simplest first.
    if not evaluate(
        sorted(with_catalog(first), key=lambda c: (not _joint(c), *c.complexity, c.label))
    ):
        return Outcome(tuple(scores), stop[0])
    for _ in range(MAX_ROUNDS):
        beam = _beam(scores, context)
        # Best first: the children of the best form (simplest first), then those of the next.
        children: list[Candidate] = []
        for parent in range(len(beam)):
            kids = neighbours(beam[: parent + 1], proposals.vocabulary)
            children += fresh(c for f in kids for c in proposals.of_form(f))
        if not children:
            break
        if not evaluate(with_catalog(children)):
            return Outcome(tuple(scores), stop[0])
        if _beam(scores, context) == beam:
            break
    if pending and not evaluate(with_catalog([], everything=True)):
        return Outcome(tuple(scores), stop[0])
    return Outcome(tuple(scores), "complete")


def _joint(candidate: Candidate) -> bool:
    """A catalog law reading two inputs or more."""
    return bool(candidate.catalog) and len(candidate.mapping) >= 2


def _beam(scores: Sequence[Score], context: Context) -> list[Form]:
    """The best distinct grammar forms, best first."""
    out: list[Form] = []
    for s in rank(scores, context.splits.clusters):
        form = s.candidate.form
        if form is not None and form not in out:
            out.append(form)
        if len(out) == BEAM:
            break
    return out
