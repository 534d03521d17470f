"""The compute-optimal vocabulary size V*(N_nv, C) from Tao et al.'s vocabulary law (Approach 3).

Tao et al. 2024 ("Scaling Laws with Vocabulary", arXiv:2407.13623; sail-sg/scaling-with-vocab
``approach3_isoloss.py``) predict the optimal vocabulary of a model with N_nv non-vocabulary parameters and
embedding width d trained with C FLOPs as the V minimising the fitted unigram-normalised loss

    L_u(N_nv, V d, D) with D = C / (6 (N_nv + V d))

(the vocabulary parameters V d are charged like the others, so a larger vocabulary leaves fewer tokens).
The law ``tao_vocab_loss`` takes N_nv and V d in millions and D in billions of tokens; this module does the
conversion. Without ``embed_dim``, the width is the authors' width for that size (``Nnv_to_d``).
Intervals come from the fit's bootstrap draws, each draw with its own optimum.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from scalinglaws.errors import ArgumentError
from scalinglaws.fit.result import FitResult
from scalinglaws.laws import Law
from scalinglaws.plan._source import evaluate_batch, minimise_log, resolve
from scalinglaws.plan.allocation import Interval2, _check_flops, _check_prob, _quantiles

WIDTHS: tuple[tuple[float, float], ...] = (
    (5e7, 512), (2e8, 768), (5e8, 1024), (1e9, 1536), (2e9, 2048), (5e9, 3200), (1e10, 4096),
    (2e10, 5120), (5e10, 6048), (1e11, 8192), (2e11, 12288), (5e11, 16384), (1e12, 20480),
)
"""(largest N_nv, embedding width d) of the model family Tao et al. use to predict V* (``Nnv_to_d`` in
their ``utils.py``); above 1e12 non-vocabulary parameters the width is 24576."""
_WIDEST = 24576.0
_VOCAB_RANGE = (np.log(1e3), np.log(1e7))


def embedding_width(n_nv: float) -> float:
    """Tao et al.'s embedding width for a model of ``n_nv`` non-vocabulary parameters."""
    for upper, width in WIDTHS:
        if n_nv <= upper:
            return float(width)
    return _WIDEST


@dataclass(frozen=True, eq=False)
class VocabularyPlan:
    """Optimal vocabulary per budget: size V*, vocabulary parameters V* d, the tokens the budget leaves,
    and the predicted unigram-normalised loss. ``intervals`` (bootstrap) maps ``"vocab_size"`` and
    ``"predicted_loss"`` to ``(lower, upper)`` arrays."""

    flops: np.ndarray
    n_params: float
    embed_dim: float
    vocab_size: np.ndarray
    n_tokens: np.ndarray
    predicted_loss: np.ndarray
    source: str
    prob: float
    intervals: Mapping[str, Interval2] = field(default_factory=dict)
    n_draws: int = 0

    @property
    def vocab_params(self) -> np.ndarray:
        return self.vocab_size * self.embed_dim

    def to_dict(self) -> dict[str, Any]:
        budgets = []
        for i, c in enumerate(self.flops):
            row = {
                "flops": float(c), "vocab_size": float(self.vocab_size[i]),
                "vocab_params": float(self.vocab_params[i]), "n_tokens": float(self.n_tokens[i]),
                "predicted_loss": float(self.predicted_loss[i]),
            }
            for key, (lo, hi) in self.intervals.items():
                row[f"{key}_lower"], row[f"{key}_upper"] = float(lo[i]), float(hi[i])
            budgets.append(row)
        return {
            "n_params": self.n_params, "embed_dim": self.embed_dim, "source": self.source,
            "prob": self.prob if self.intervals else None, "n_draws": self.n_draws, "budgets": budgets,
        }


def optimal_vocabulary(
    result: FitResult | None = None,
    *,
    n_params: float,
    flops: float | Sequence[float] | np.ndarray,
    embed_dim: float | None = None,
    law: Law | str | None = None,
    preset: str | None = None,
    params: Mapping[str, float] | None = None,
    prob: float = 0.95,
) -> VocabularyPlan:
    """The vocabulary size that minimises Tao et al.'s loss for a model size and each compute budget.

    Parameters
    ----------
    result, law, preset, params
        A fit of ``tao_vocab_loss`` (its inputs in the law's units), or a law with a preset or
        parameters; default ``law="tao_vocab_loss", preset="tao2024"``.
    n_params
        Non-vocabulary parameters N_nv (a count, not millions).
    flops
        Training budget(s) in FLOPs, C = 6 (N_nv + V d) D.
    embed_dim
        Embedding width d; default the authors' width for ``n_params`` (:func:`embedding_width`).

    Raises
    ------
    ValueError
        If an argument is not positive, the law's inputs are not ``N_nv, N_v, D_b``, or the loss keeps
        falling towards the edge of the search (1K to 10M tokens).

    Examples
    --------
    >>> from scalinglaws.plan import optimal_vocabulary
    >>> plan = optimal_vocabulary(n_params=2.87e9, flops=2.3e21)  # the paper's 3B model: 43K
    >>> round(float(plan.vocab_size[0]), -3)
    42000.0
    """
    function = "optimal_vocabulary"
    budgets = _check_flops(flops, function)
    _check_prob(prob, function)
    for name, given in (("n_params", n_params), ("embed_dim", embed_dim)):
        if given is not None and not (np.isfinite(given) and given > 0):
            raise ArgumentError(
                f"`{name}` of {function} must be a positive number. Got {given!r} instead.",
                argument=name, function=function, rule="a positive number", value=given,
            )
    resolved = resolve(function, result, law, preset, params,
                       default_law="tao_vocab_loss", default_preset="tao2024")
    if set(resolved.law.inputs) != {"N_nv", "N_v", "D_b"}:
        raise ArgumentError(
            f"`law` of {function} must have inputs N_nv, N_v and D_b (as 'tao_vocab_loss'). Got "
            f"{resolved.law.label!r} with inputs {list(resolved.law.inputs)}.", argument="law",
            function=function,
        )
    n_nv = float(n_params)
    d = float(embed_dim) if embed_dim is not None else embedding_width(n_nv)
    batch = resolved.batch(resolved.draws is not None)
    rows = next(iter(batch.values())).shape[0]
    expanded = {k: v[..., None] for k, v in batch.items()}  # (rows, 1, 1) against (rows, K, grid)
    c = budgets[None, :, None]

    def loss(log_v: np.ndarray, params: Mapping[str, np.ndarray], flops_: np.ndarray) -> np.ndarray:
        vocab_params = np.exp(log_v) * d
        tokens = flops_ / (6.0 * (n_nv + vocab_params))
        inputs = {"N_nv": n_nv / 1e6, "N_v": vocab_params / 1e6, "D_b": tokens / 1e9}
        return evaluate_batch(resolved.law, params, inputs)

    lower = np.full((rows, budgets.size), _VOCAB_RANGE[0])
    log_v, interior = minimise_log(lambda x: loss(x, expanded, c), lower, lower * 0 + _VOCAB_RANGE[1])
    if not interior[0].all():
        raise ArgumentError(
            f"`flops` of {function}: law {resolved.law.label!r} has no interior optimal vocabulary at "
            f"{budgets[~interior[0]].tolist()} for {n_nv:g} non-vocabulary parameters (the loss keeps "
            "falling towards 1K or 10M tokens). Check the fit or the budget.", argument="flops",
            function=function,
        )
    vocab = np.exp(log_v)
    value = loss(log_v, batch, budgets[None, :])
    tokens = budgets[None, :] / (6.0 * (n_nv + vocab * d))
    intervals: dict[str, Interval2] = {}
    if rows > 1:
        ok = interior[1:]
        intervals["vocab_size"] = _quantiles(np.where(ok, vocab[1:], np.nan), prob)
        intervals["predicted_loss"] = _quantiles(np.where(ok, value[1:], np.nan), prob)
    return VocabularyPlan(
        flops=budgets, n_params=n_nv, embed_dim=d, vocab_size=vocab[0], n_tokens=tokens[0],
        predicted_loss=value[0], source=resolved.label, prob=prob, intervals=intervals,
        n_draws=rows - 1,
    )
