"""Parameter and FLOP accounting from a transformer's shape, under the published conventions.

Scaling-law papers disagree on what "parameters" and "compute" mean, and the disagreement matters
(Porian et al. 2024 trace most of the Kaplan-vs-Chinchilla discrepancy to it). This module computes both
from a :class:`ModelShape` under a named convention, and fills the ``n_params``, ``flops`` and
``n_tokens`` columns of a runs table consistently, recording which convention it used.

(Longer than 400 lines for a reason: the four conventions are one table of formulas, and the column
fillers are those same formulas applied row by row; splitting them would put one convention's
parameter count and its FLOP count in different files.)

Parameter conventions (``n_params_convention``):

* ``"non_embedding"``: Kaplan et al. 2020 (arXiv:2001.08361), Table 1:
  ``N = 2 d_model n_layer (2 d_attn + d_ff)``, which is ``12 n_layer d_model**2`` for the standard
  ``d_attn = d_ff / 4 = d_model``. Vocabulary and position embeddings are excluded. For MoE models every
  expert is counted.
* ``"total"``: Hoffmann et al. 2022 (Chinchilla, arXiv:2203.15556), App. F: all parameters including
  the embedding matrices (counted once when tied, twice when untied) and learned position embeddings.
* ``"active"``: the parameters used for one token: like ``"total"`` but with only ``top_k`` of the
  ``n_experts`` feed-forward experts of a mixture-of-experts layer (DeepSeek-V2/V3's "activated
  parameters"). Equal to ``"total"`` for dense models.

Biases, normalisation gains and routers' biases are not counted (Kaplan's "sub-leading terms"); they
change totals by well under 1 %.

FLOP conventions (``flops_convention``), as training FLOPs per token (forward + backward):

* ``"6nd"``: ``6 N`` with ``N`` the ``"active"`` count (equal to ``"total"`` for dense models);
  on a table, ``6 * n_params * n_tokens`` with the table's own ``n_params``.
* ``"kaplan"``: ``C = 6 N`` with ``N`` non-embedding (active experts only), Kaplan et al. Sec. 2.1,
  which drops the context-dependent term. The forward count with that term, Eq. 2.2
  ``C_forward = 2 N + 2 n_layer n_ctx d_attn``, is :func:`forward_flops_per_token`.
* ``"chinchilla"``: Hoffmann et al. App. F: per layer ``2*3*d_model*d_attn`` (QKV) ``+
  2*n_ctx*d_attn`` (logits) ``+ 3*n_heads*n_ctx`` (softmax) ``+ 2*n_ctx*d_attn`` (values) ``+
  2*d_attn*d_model`` (output) ``+ 4*d_model*d_ff`` (dense), backward = 2 x forward. App. F also lists
  embedding and final-logit terms, but the paper's Table A4 ratios are reproduced only without them (as
  reported from correspondence with the authors in nanoGPT's ``scaling_laws.ipynb``); we follow Table A4.
* ``"deepseek"``: DeepSeek LLM (Bi et al. 2024, arXiv:2401.02954) Eq. 2: non-embedding FLOPs per token
  ``M = 72 n_layer d_model**2 + 12 n_layer d_model l_seq``. We compute ``6 N + 12 n_layer d_attn
  l_seq`` with ``N`` the non-embedding count over active experts, which equals the paper's formula for
  any standard shape (12 d_model**2 parameters per layer) and extends it to other shapes and MoE.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Final, Literal, get_args

import polars as pl

from scalinglaws.data._rows import finite_column, plural
from scalinglaws.data.schema import ParamConvention
from scalinglaws.errors import DataError, MissingColumnError

__all__ = [
    "CostModel",
    "ModelShape",
    "count_params",
    "fill_flops",
    "fill_n_params",
    "fill_n_tokens",
    "flops_per_token",
    "forward_flops_per_token",
]

CostModel = Literal["6nd", "kaplan", "chinchilla", "deepseek"]
"""FLOP conventions this module can compute (``"reported"`` in a table means none of them)."""

_COST_MODELS: Final[tuple[str, ...]] = get_args(CostModel)
_PARAM_CONVENTIONS: Final[tuple[str, ...]] = get_args(ParamConvention)


@dataclass(frozen=True)
class ModelShape:
    """Shape of a decoder-only transformer, enough to count its parameters and FLOPs.

    Parameters
    ----------
    n_layers
        Number of transformer blocks.
    d_model
        Residual stream width.
    n_heads
        Attention heads (only the Chinchilla softmax term uses it).
    vocab_size
        Vocabulary size.
    seq_len
        Training context length (``n_ctx``, ``l_seq``).
    d_ff
        Feed-forward inner width; default ``4 * d_model``.
    d_attn
        Total attention width ``n_heads * d_head`` (Chinchilla's ``kv_size * n_heads``); default
        ``d_model``.
    n_experts
        Feed-forward experts per layer (1 for a dense model).
    top_k
        Experts used per token.
    gated_ffn
        Gated feed-forward (SwiGLU, GeGLU): three ``d_model x d_ff`` matrices instead of two.
    tied_embeddings
        Input embedding and output projection share one matrix.
    learned_positions
        Learned absolute position embeddings (``seq_len x d_model``, GPT-2/3).
    relative_positions
        Transformer-XL relative position projection, one ``d_model x d_attn`` matrix per layer
        (Gopher/Chinchilla).

    Raises
    ------
    DataError
        If a size is not a positive int or ``top_k > n_experts``.

    Examples
    --------
    >>> gpt3_small = ModelShape(n_layers=12, d_model=768, n_heads=12, vocab_size=50257, seq_len=2048)
    >>> count_params(gpt3_small, "non_embedding") == 12 * 12 * 768**2
    True
    """

    n_layers: int
    d_model: int
    n_heads: int
    vocab_size: int
    seq_len: int
    d_ff: int | None = None
    d_attn: int | None = None
    n_experts: int = 1
    top_k: int = 1
    gated_ffn: bool = False
    tied_embeddings: bool = True
    learned_positions: bool = False
    relative_positions: bool = False

    def __post_init__(self) -> None:
        for name in ("n_layers", "d_model", "n_heads", "vocab_size", "seq_len", "d_ff", "d_attn",
                     "n_experts", "top_k"):
            value = getattr(self, name)
            if value is None and name in ("d_ff", "d_attn"):
                continue
            if isinstance(value, bool) or not isinstance(value, int) or value < 1:
                raise DataError(f"`{name}` of ModelShape must be an int >= 1. Got {value!r} instead.")
        if self.top_k > self.n_experts:
            raise DataError(
                f"`top_k` of ModelShape must be <= `n_experts` ({self.n_experts}). Got {self.top_k} instead."
            )

    @property
    def ff_width(self) -> int:
        """Feed-forward inner width actually used."""
        return self.d_ff if self.d_ff is not None else 4 * self.d_model

    @property
    def attn_width(self) -> int:
        """Attention width actually used."""
        return self.d_attn if self.d_attn is not None else self.d_model


def _attention_params(s: ModelShape) -> int:
    return 4 * s.d_model * s.attn_width + (s.d_model * s.attn_width if s.relative_positions else 0)


def _expert_params(s: ModelShape) -> int:
    return (3 if s.gated_ffn else 2) * s.d_model * s.ff_width


def _router_params(s: ModelShape) -> int:
    return s.d_model * s.n_experts if s.n_experts > 1 else 0


def _layer_params(s: ModelShape, experts: int) -> int:
    return _attention_params(s) + experts * _expert_params(s) + _router_params(s)


def _embedding_params(s: ModelShape) -> int:
    return (s.vocab_size * s.d_model * (1 if s.tied_embeddings else 2)
            + (s.seq_len * s.d_model if s.learned_positions else 0))


def _check_shape(shape: object, function: str) -> ModelShape:
    if not isinstance(shape, ModelShape):
        raise DataError(f"`shape` of {function} must be a ModelShape. Got {type(shape).__name__} instead.")
    return shape


def count_params(shape: ModelShape, convention: ParamConvention = "total") -> int:
    """Number of parameters of ``shape`` under ``convention``.

    Parameters
    ----------
    shape
        The model.
    convention
        ``"total"``, ``"non_embedding"`` or ``"active"`` (see the module docstring).

    Returns
    -------
    int

    Raises
    ------
    DataError
        If ``shape`` is not a ModelShape or ``convention`` is unknown.

    Examples
    --------
    >>> s = ModelShape(n_layers=2, d_model=64, n_heads=4, vocab_size=1000, seq_len=128)
    >>> count_params(s, "non_embedding"), count_params(s, "total")
    (98304, 162304)
    """
    s = _check_shape(shape, "count_params")
    if convention == "non_embedding":
        return s.n_layers * _layer_params(s, s.n_experts)
    if convention == "total":
        return s.n_layers * _layer_params(s, s.n_experts) + _embedding_params(s)
    if convention == "active":
        return s.n_layers * _layer_params(s, s.top_k) + _embedding_params(s)
    raise DataError(
        f"`convention` of count_params must be one of {list(_PARAM_CONVENTIONS)}. Got {convention!r} instead."
    )


def forward_flops_per_token(shape: ModelShape, convention: CostModel) -> float:
    """Forward-pass FLOPs per token of ``shape`` under ``convention``.

    ``"kaplan"`` is Kaplan et al. Eq. 2.2 including the context term, ``2 N + 2 n_layer n_ctx d_attn``;
    the others are one third of :func:`flops_per_token`.

    Raises
    ------
    DataError
        If ``shape`` is not a ModelShape or ``convention`` is unknown.

    Examples
    --------
    >>> s = ModelShape(n_layers=2, d_model=64, n_heads=4, vocab_size=1000, seq_len=128)
    >>> forward_flops_per_token(s, "kaplan") == 2 * 98304 + 2 * 2 * 128 * 64
    True
    """
    s = _check_shape(shape, "forward_flops_per_token")
    if convention == "kaplan":
        n = s.n_layers * _layer_params(s, s.top_k)
        return float(2 * n + 2 * s.n_layers * s.seq_len * s.attn_width)
    return flops_per_token(s, convention) / 3.0


def flops_per_token(shape: ModelShape, convention: CostModel) -> float:
    """Training FLOPs per token (forward + backward) of ``shape`` under ``convention``.

    Parameters
    ----------
    shape
        The model.
    convention
        ``"6nd"``, ``"kaplan"``, ``"chinchilla"`` or ``"deepseek"`` (see the module docstring).

    Returns
    -------
    float
        Multiply by tokens seen to get training compute.

    Raises
    ------
    DataError
        If ``shape`` is not a ModelShape or ``convention`` is unknown.

    Examples
    --------
    DeepSeek LLM Table 3, first row (8 layers, d_model 512, l_seq 4096): M = 352M.

    >>> s = ModelShape(n_layers=8, d_model=512, n_heads=8, vocab_size=102400, seq_len=4096)
    >>> round(flops_per_token(s, "deepseek") / 1e6)
    352
    """
    s = _check_shape(shape, "flops_per_token")
    if convention == "6nd":
        return 6.0 * count_params(s, "active")
    if convention == "kaplan":
        return 6.0 * s.n_layers * _layer_params(s, s.top_k)
    if convention == "deepseek":
        n = s.n_layers * _layer_params(s, s.top_k)
        return float(6 * n + 12 * s.n_layers * s.attn_width * s.seq_len)
    if convention == "chinchilla":
        d, a, t = s.d_model, s.attn_width, s.seq_len
        attention = 2 * 3 * d * a + 2 * t * a + 3 * s.n_heads * t + 2 * t * a + 2 * a * d
        dense = s.top_k * (3 if s.gated_ffn else 2) * 2 * d * s.ff_width
        return 3.0 * s.n_layers * (attention + dense)
    raise DataError(
        f"`convention` of flops_per_token must be one of {list(_COST_MODELS)}. Got {convention!r} instead."
    )


# --------------------------------------------------------------------------- filling table columns

Shapes = ModelShape | Mapping[str, ModelShape]


def _per_row(
    df: pl.DataFrame, shapes: Shapes, value: str, fn: Callable[[ModelShape], float], function: str
) -> pl.Series:
    """A Float64 series with ``fn(shape)`` for the shape of each row."""
    if isinstance(shapes, ModelShape):
        return pl.Series(value, [float(fn(shapes))] * df.height, dtype=pl.Float64)
    if not isinstance(shapes, Mapping):
        raise DataError(
            f"`shapes` of {function} must be a ModelShape or a mapping run_id -> ModelShape. "
            f"Got {type(shapes).__name__} instead."
        )
    if "run_id" not in df.columns:
        raise MissingColumnError(
            f"{function} with a mapping of shapes needs a `run_id` column (columns: {sorted(df.columns)})."
        )
    for run, shape in shapes.items():
        if not isinstance(shape, ModelShape):
            raise DataError(
                f"`shapes[{run!r}]` of {function} must be a ModelShape. Got {type(shape).__name__} instead."
            )
    runs = df.get_column("run_id")
    missing = sorted({r for r in runs.to_list() if r not in shapes}, key=str)
    if missing:
        raise DataError(
            f"`shapes` of {function} has no shape for {plural(len(missing), 'run')} ({missing[:5]!r}). "
            "Give a ModelShape for every run_id in the table."
        )
    per_run = {r: float(fn(shape)) for r, shape in shapes.items()}
    return pl.Series(value, [per_run[r] for r in runs.to_list()], dtype=pl.Float64)


def _check_cost_model(convention: object, function: str) -> None:
    if convention not in _COST_MODELS:
        raise DataError(
            f"`convention` of {function} must be one of {list(_COST_MODELS)}. Got {convention!r} instead."
        )


def _check_target(df: pl.DataFrame, column: str, overwrite: bool, function: str) -> None:
    if not isinstance(df, pl.DataFrame):
        raise DataError(f"`df` of {function} must be a polars DataFrame. Got {type(df).__name__} instead.")
    if column in df.columns and not overwrite:
        raise DataError(
            f"{function}: `df` already has a `{column}` column. Filling only its missing values would mix "
            f"conventions in one column, so {function} never does that. Pass `overwrite=True` to "
            f"recompute every row, or drop the column first."
        )


def _numeric_input(df: pl.DataFrame, column: str, function: str) -> pl.Expr:
    if column not in df.columns:
        raise MissingColumnError(
            f"{function} needs a `{column}` column, which `df` does not have (columns: {sorted(df.columns)})."
        )
    return finite_column(
        df, function, column,
        f". Drop or fix them explicitly first, e.g. with `drop_missing(df, [{column!r}])`.",
    )


def fill_n_params(
    df: pl.DataFrame, shapes: Shapes, convention: ParamConvention = "total", *, overwrite: bool = False
) -> tuple[pl.DataFrame, str]:
    """Add ``n_params`` (and ``n_params_convention``) computed from model shapes.

    Parameters
    ----------
    df
        Runs table (needs ``run_id`` when ``shapes`` is a mapping).
    shapes
        One ModelShape for every row, or a mapping ``run_id -> ModelShape`` covering every run.
    convention
        ``"total"``, ``"non_embedding"`` or ``"active"``.
    overwrite
        Replace an existing ``n_params`` column.

    Returns
    -------
    (polars.DataFrame, str)
        The table with ``n_params`` (Float64) and ``n_params_convention``, and a provenance record.

    Raises
    ------
    DataError
        If ``n_params`` exists and ``overwrite`` is False, a run has no shape, or an argument is invalid.
    MissingColumnError
        If ``shapes`` is a mapping and ``run_id`` is absent.

    Examples
    --------
    >>> import polars as pl
    >>> s = ModelShape(n_layers=2, d_model=64, n_heads=4, vocab_size=1000, seq_len=128)
    >>> out, record = fill_n_params(pl.DataFrame({"loss": [3.0]}), s, "non_embedding")
    >>> out["n_params"].to_list(), record
    ([98304.0], 'fill_n_params: computed `n_params` for 1 row from model shapes (convention non_embedding).')
    """
    _check_target(df, "n_params", overwrite, "fill_n_params")
    if convention not in _PARAM_CONVENTIONS:
        raise DataError(
            f"`convention` of fill_n_params must be one of {list(_PARAM_CONVENTIONS)}. "
            f"Got {convention!r} instead."
        )
    values = _per_row(df, shapes, "n_params", lambda s: count_params(s, convention), "fill_n_params")
    out = df.with_columns(values, pl.lit(convention, dtype=pl.String).alias("n_params_convention"))
    return out, (f"fill_n_params: computed `n_params` for {plural(df.height, 'row')} from model shapes "
                 f"(convention {convention}).")


def fill_flops(
    df: pl.DataFrame,
    convention: CostModel,
    *,
    shapes: Shapes | None = None,
    overwrite: bool = False,
) -> tuple[pl.DataFrame, str]:
    """Add ``flops = flops_per_token * n_tokens`` (and ``flops_convention``).

    Parameters
    ----------
    df
        Runs table with ``n_tokens`` (and ``n_params`` for ``"6nd"`` without shapes).
    convention
        ``"6nd"``, ``"kaplan"``, ``"chinchilla"`` or ``"deepseek"``. Only ``"6nd"`` works without
        shapes, as ``6 * n_params * n_tokens`` with the table's ``n_params`` (whatever its convention,
        which the record names).
    shapes
        One ModelShape for every row, or a mapping ``run_id -> ModelShape``.
    overwrite
        Replace an existing ``flops`` column.

    Returns
    -------
    (polars.DataFrame, str)
        The table with ``flops`` (Float64) and ``flops_convention``, and a provenance record.

    Raises
    ------
    DataError
        If ``flops`` exists and ``overwrite`` is False, the inputs hold missing or non-finite values, a
        run has no shape, or an argument is invalid.
    MissingColumnError
        If ``n_tokens`` (or ``n_params``, or ``run_id`` for mapped shapes) is absent.
    SchemaError
        If an input column is not numeric.

    Examples
    --------
    >>> import polars as pl
    >>> df = pl.DataFrame({"n_params": [1e8], "n_tokens": [2e9], "loss": [3.0]})
    >>> fill_flops(df, "6nd")[0]["flops"].to_list()
    [1.2e+18]
    """
    _check_target(df, "flops", overwrite, "fill_flops")
    _check_cost_model(convention, "fill_flops")
    tokens = _numeric_input(df, "n_tokens", "fill_flops")
    if shapes is None:
        if convention != "6nd":
            raise DataError(
                f"`shapes` of fill_flops is required for convention {convention!r}, which depends on the "
                "model shape. Pass one ModelShape or a mapping run_id -> ModelShape, or use '6nd'."
            )
        params = _numeric_input(df, "n_params", "fill_flops")
        out = df.with_columns((6.0 * params * tokens).alias("flops"))
        n_conv = _convention_of(df, "n_params_convention")
        source = f"6 * n_params * n_tokens (n_params convention {n_conv})"
    else:
        per_token = _per_row(df, shapes, "__fpt", lambda s: flops_per_token(s, convention), "fill_flops")
        out = df.with_columns((per_token * df.select(tokens).to_series()).alias("flops"))
        source = "flops per token from model shapes x n_tokens"
    out = out.with_columns(pl.lit(convention, dtype=pl.String).alias("flops_convention"))
    return out, f"fill_flops: computed `flops` for {plural(df.height, 'row')} as {source} (convention {convention})."


def fill_n_tokens(
    df: pl.DataFrame,
    *,
    tokens_per_step: float | Mapping[str, float] | None = None,
    convention: CostModel | None = None,
    shapes: Shapes | None = None,
    overwrite: bool = False,
) -> tuple[pl.DataFrame, str]:
    """Add ``n_tokens``, either from ``step`` or from ``flops``.

    Give exactly one of:

    * ``tokens_per_step`` (batch size x sequence length): ``n_tokens = step * tokens_per_step``;
    * ``convention`` (with ``shapes``, or ``"6nd"`` with an ``n_params`` column):
      ``n_tokens = flops / flops_per_token``, inverting :func:`fill_flops`. When the table has a
      ``flops_convention`` column it must equal ``convention``.

    Returns
    -------
    (polars.DataFrame, str)
        The table with ``n_tokens`` (Float64), and a provenance record.

    Raises
    ------
    DataError
        If both or neither source is given, ``n_tokens`` exists and ``overwrite`` is False, inputs hold
        missing or non-finite values, the conventions disagree, or an argument is invalid.
    MissingColumnError
        If ``step``/``flops``/``n_params``/``run_id`` needed by the chosen source is absent.
    SchemaError
        If an input column is not numeric.

    Examples
    --------
    >>> import polars as pl
    >>> df = pl.DataFrame({"step": [100, 200], "loss": [3.0, 2.8]})
    >>> fill_n_tokens(df, tokens_per_step=512 * 2048)[0]["n_tokens"].to_list()
    [104857600.0, 209715200.0]
    """
    _check_target(df, "n_tokens", overwrite, "fill_n_tokens")
    if (tokens_per_step is None) == (convention is None):
        raise DataError(
            "fill_n_tokens needs exactly one of `tokens_per_step` (tokens from steps) and `convention` "
            f"(tokens from flops). Got tokens_per_step={tokens_per_step!r}, convention={convention!r}."
        )
    if tokens_per_step is not None:
        step = _numeric_input(df, "step", "fill_n_tokens")
        if isinstance(tokens_per_step, Mapping):
            if "run_id" not in df.columns:
                raise MissingColumnError("fill_n_tokens with per-run `tokens_per_step` needs a `run_id` column.")
            runs = df.get_column("run_id").to_list()
            missing = sorted({r for r in runs if r not in tokens_per_step}, key=str)
            if missing:
                raise DataError(
                    f"`tokens_per_step` of fill_n_tokens has no entry for {plural(len(missing), 'run')} "
                    f"({missing[:5]!r})."
                )
            for run, value in tokens_per_step.items():
                _check_positive(value, f"tokens_per_step[{run!r}]")
            per_step = pl.Series("__tps", [float(tokens_per_step[r]) for r in runs], dtype=pl.Float64)
            label = "per-run tokens_per_step"
        else:
            _check_positive(tokens_per_step, "tokens_per_step")
            per_step = pl.Series("__tps", [float(tokens_per_step)] * df.height, dtype=pl.Float64)
            label = f"tokens_per_step={tokens_per_step:g}"
        out = df.with_columns((df.select(step).to_series() * per_step).alias("n_tokens"))
        return out, f"fill_n_tokens: computed `n_tokens` for {plural(df.height, 'row')} as step x {label}."
    assert convention is not None
    _check_cost_model(convention, "fill_n_tokens")
    if "flops_convention" in df.columns:
        found = _convention_of(df, "flops_convention")
        if found != repr(convention):
            raise DataError(
                f"fill_n_tokens: `convention` is {convention!r} but the table's `flops_convention` is "
                f"{found}. Use the convention the flops were computed with."
            )
    flops = _numeric_input(df, "flops", "fill_n_tokens")
    if shapes is None:
        if convention != "6nd":
            raise DataError(
                f"`shapes` of fill_n_tokens is required for convention {convention!r}. Pass one ModelShape "
                "or a mapping run_id -> ModelShape, or use '6nd'."
            )
        per_token = df.select(6.0 * _numeric_input(df, "n_params", "fill_n_tokens")).to_series()
    else:
        per_token = _per_row(df, shapes, "__fpt", lambda s: flops_per_token(s, convention), "fill_n_tokens")
    out = df.with_columns((df.select(flops).to_series() / per_token).alias("n_tokens"))
    return out, (f"fill_n_tokens: computed `n_tokens` for {plural(df.height, 'row')} as flops / flops per "
                 f"token (convention {convention}).")


def _check_positive(value: object, name: str) -> None:
    if (isinstance(value, bool) or not isinstance(value, int | float) or not value > 0
            or value == float("inf")):
        raise DataError(f"`{name}` of fill_n_tokens must be a finite number > 0. Got {value!r} instead.")


def _convention_of(df: pl.DataFrame, column: str) -> str:
    if column not in df.columns:
        return "not recorded"
    values = df.get_column(column).cast(pl.String).drop_nulls().unique().sort().to_list()
    if not values:
        return "not recorded"
    return repr(values[0]) if len(values) == 1 else f"mixed {values!r}"
