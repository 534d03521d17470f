"""Parameter and FLOP accounting against published numbers, and the column fillers."""

from __future__ import annotations

import math

import polars as pl
import pytest

from scalinglaws.data import validate_runs
from scalinglaws.data.accounting import (
    ModelShape,
    count_params,
    fill_flops,
    fill_n_params,
    fill_n_tokens,
    flops_per_token,
    forward_flops_per_token,
)
from scalinglaws.errors import DataError, MissingColumnError, SchemaError

# --------------------------------------------------------------------------------------------------
# Chinchilla (Hoffmann et al. 2022, arXiv:2203.15556). Table A9: parameters (millions), d_model,
# ffw_size, kv_size, n_heads, n_layers. Vocabulary 32,000 (App. I model card), sequence length 2048.
CHINCHILLA_A9 = [
    (44, 512, 2048, 64, 8, 8), (57, 576, 2304, 64, 9, 9), (74, 640, 2560, 64, 10, 10),
    (90, 640, 2560, 64, 10, 13), (106, 640, 2560, 64, 10, 16), (117, 768, 3072, 64, 12, 12),
    (140, 768, 3072, 64, 12, 15), (163, 768, 3072, 64, 12, 18), (175, 896, 3584, 64, 14, 14),
    (196, 896, 3584, 64, 14, 16), (217, 896, 3584, 64, 14, 18), (251, 1024, 4096, 64, 16, 16),
    (278, 1024, 4096, 64, 16, 18), (306, 1024, 4096, 64, 16, 20), (425, 1280, 5120, 128, 10, 18),
    (489, 1280, 5120, 128, 10, 21), (509, 1408, 5632, 128, 11, 18), (552, 1280, 5120, 128, 10, 24),
    (587, 1408, 5632, 128, 11, 21), (632, 1536, 6144, 128, 12, 19), (664, 1408, 5632, 128, 11, 24),
    (724, 1536, 6144, 128, 12, 22), (816, 1536, 6144, 128, 12, 25), (893, 1792, 7168, 128, 14, 20),
    (1018, 1792, 7168, 128, 14, 23), (1143, 1792, 7168, 128, 14, 26), (1266, 2048, 8192, 128, 16, 22),
    (1424, 2176, 8704, 128, 17, 22), (1429, 2048, 8192, 128, 16, 25), (1593, 2048, 8192, 128, 16, 28),
    (1609, 2176, 8704, 128, 17, 25), (1731, 2304, 9216, 128, 18, 24), (1794, 2176, 8704, 128, 17, 28),
    (2007, 2304, 9216, 128, 18, 28), (2283, 2304, 9216, 128, 18, 32), (2298, 2560, 10240, 128, 20, 26),
    (2639, 2560, 10240, 128, 20, 30), (2980, 2560, 10240, 128, 20, 34), (3530, 2688, 10752, 128, 22, 36),
    (3802, 2816, 11264, 128, 22, 36), (4084, 2944, 11776, 128, 22, 36), (4516, 3072, 12288, 128, 24, 36),
    (6796, 3584, 14336, 128, 28, 40), (9293, 4096, 16384, 128, 32, 42), (11452, 4352, 17408, 128, 32, 47),
    (12295, 4608, 18432, 128, 36, 44), (12569, 4608, 18432, 128, 32, 47), (13735, 4864, 19456, 128, 32, 47),
    (14940, 4992, 19968, 128, 32, 49), (16183, 5120, 20480, 128, 40, 47),
]

# Table A4: num_layers, d_model, ffw_size, num_heads, k/q size, FLOP ratio (ours / 6ND).
CHINCHILLA_A4 = [
    (10, 640, 2560, 10, 64, 1.03), (20, 1024, 4096, 16, 64, 1.10), (24, 1280, 5120, 10, 128, 1.08),
    (26, 1792, 7168, 14, 128, 1.04), (28, 2048, 8192, 16, 128, 1.03), (40, 3584, 14336, 28, 128, 0.99),
]


def chinchilla_shape(d_model: int, ffw: int, kv: int, heads: int, layers: int) -> ModelShape:
    # Gopher/Chinchilla: relative positional encodings (one d_model x d_attn projection per layer) and
    # a single vocabulary matrix in the count.
    return ModelShape(n_layers=layers, d_model=d_model, n_heads=heads, vocab_size=32_000, seq_len=2048,
                      d_ff=ffw, d_attn=kv * heads, relative_positions=True)


@pytest.mark.parametrize(("millions", "d_model", "ffw", "kv", "heads", "layers"), CHINCHILLA_A9)
def test_chinchilla_table_a9_parameter_counts(
    millions: int, d_model: int, ffw: int, kv: int, heads: int, layers: int
) -> None:
    n = count_params(chinchilla_shape(d_model, ffw, kv, heads, layers), "total")
    # Table A9 prints whole millions (up to 1.1 % rounding at 44M) and we omit biases and norm gains
    # (< 0.1 %); the worst row (44M) is 0.8 % off.
    assert n == pytest.approx(millions * 1e6, rel=0.01)


@pytest.mark.parametrize(("layers", "d_model", "ffw", "heads", "kv", "ratio"), CHINCHILLA_A4)
def test_chinchilla_table_a4_flop_ratios(
    layers: int, d_model: int, ffw: int, heads: int, kv: int, ratio: float
) -> None:
    shape = chinchilla_shape(d_model, ffw, kv, heads, layers)
    ours = flops_per_token(shape, "chinchilla") / (6 * count_params(shape, "total"))
    # the paper prints two decimals: agreement within half a unit of the last digit
    assert abs(ours - ratio) <= 0.005


# --------------------------------------------------------------------------------------------------
# Kaplan et al. 2020 (arXiv:2001.08361) Table 1: N = 2 d_model n_layer (2 d_attn + d_ff) = 12 n_layer d_model^2
# with d_attn = d_ff / 4 = d_model. Shapes: GPT-2 (Radford et al. 2019, Table 2: 12/768, 24/1024, 36/1280,
# 48/1600) and GPT-3 (Brown et al. 2020, Table 2.1).
GPT2 = [(12, 768), (24, 1024), (36, 1280), (48, 1600)]
# GPT-3 Table 2.1: name, n_params, n_layers, d_model, n_heads (vocab 50257, n_ctx 2048, d_ff = 4 d_model)
GPT3 = [
    ("small", 125e6, 12, 768, 12), ("medium", 350e6, 24, 1024, 16), ("large", 760e6, 24, 1536, 16),
    ("xl", 1.3e9, 24, 2048, 24), ("2.7b", 2.7e9, 32, 2560, 32), ("6.7b", 6.7e9, 32, 4096, 32),
    ("13b", 13.0e9, 40, 5140, 40), ("175b", 175.0e9, 96, 12288, 96),
]


def gpt_shape(layers: int, d_model: int, heads: int = 12, seq_len: int = 2048) -> ModelShape:
    return ModelShape(n_layers=layers, d_model=d_model, n_heads=heads, vocab_size=50257, seq_len=seq_len,
                      learned_positions=True)


@pytest.mark.parametrize(("layers", "d_model"), GPT2 + [(g[2], g[3]) for g in GPT3])
def test_kaplan_non_embedding_is_12_layers_d_squared(layers: int, d_model: int) -> None:
    shape = gpt_shape(layers, d_model)
    assert count_params(shape, "non_embedding") == 12 * layers * d_model**2  # exact for the standard shape
    # Kaplan Eq. 2.2: C_forward = 2N + 2 n_layer n_ctx d_attn; training C = 6N (context term dropped)
    n = 12 * layers * d_model**2
    assert forward_flops_per_token(shape, "kaplan") == 2 * n + 2 * layers * 2048 * d_model
    assert flops_per_token(shape, "kaplan") == 6 * n


@pytest.mark.parametrize(("name", "published", "layers", "d_model", "heads"), GPT3)
def test_gpt3_table_2_1_total_parameters(
    name: str, published: float, layers: int, d_model: int, heads: int
) -> None:
    # Table 2.1 rounds to two significant digits (2.7B is 2.65B counted) and we omit biases/norms.
    assert count_params(gpt_shape(layers, d_model, heads), "total") == pytest.approx(published, rel=0.02)


def test_gpt3_175b_appendix_d_parameters_and_compute() -> None:
    shape = gpt_shape(96, 12288, 96)
    n = count_params(shape, "total")
    # GPT-3 Table D.1 lists 174,600M parameters (printed to 0.1B): biases/norms omitted here (~0.01 %)
    assert n == pytest.approx(174_600e6, rel=5e-4)
    # ... and 3.14e23 training FLOPs for 300B tokens under 6ND (printed to 3 digits)
    assert flops_per_token(shape, "6nd") * 300e9 == pytest.approx(3.14e23, rel=5e-3)


# --------------------------------------------------------------------------------------------------
# DeepSeek LLM (Bi et al. 2024, arXiv:2401.02954) Table 3, n_vocab 102400, l_seq 4096:
# n_layer, d_model, N1 (non-embedding), N2 (complete), M (non-embedding FLOPs/token), 6N1/M, 6N2/M
DEEPSEEK_T3 = [
    (8, 512, 25.2e6, 77.6e6, 352e6, 0.43, 1.32),
    (12, 768, 84.9e6, 164e6, 963e6, 0.53, 1.02),
    (24, 1024, 302e6, 407e6, 3.02e9, 0.60, 0.81),
    (24, 2048, 1.21e9, 1.42e9, 9.66e9, 0.75, 0.88),
    (32, 4096, 6.44e9, 6.86e9, 45.1e9, 0.85, 0.91),
    (40, 5120, 12.6e9, 13.1e9, 85.6e9, 0.88, 0.92),
    (80, 8192, 64.4e9, 65.3e9, 419e9, 0.92, 0.94),
]


@pytest.mark.parametrize(("layers", "d_model", "n1", "n2", "m", "r1", "r2"), DEEPSEEK_T3)
def test_deepseek_table_3(
    layers: int, d_model: int, n1: float, n2: float, m: float, r1: float, r2: float
) -> None:
    shape = ModelShape(n_layers=layers, d_model=d_model, n_heads=max(1, d_model // 128),
                       vocab_size=102_400, seq_len=4096)
    ours_n1 = count_params(shape, "non_embedding")
    ours_n2 = count_params(shape, "total")  # one vocabulary matrix, as in the paper's N2
    ours_m = flops_per_token(shape, "deepseek")
    assert ours_m == 72 * layers * d_model**2 + 12 * layers * d_model * 4096  # the paper's Eq. 2, exactly
    # the table prints three significant digits: half a unit is at most 0.3 % of these values
    assert ours_n1 == pytest.approx(n1, rel=3e-3)
    assert ours_n2 == pytest.approx(n2, rel=3e-3)
    assert ours_m == pytest.approx(m, rel=3e-3)
    # ratios are printed with two decimals, but the 32-layer row prints 0.85 for 0.857 (truncated), so
    # allow one unit of the last digit
    assert 6 * ours_n1 / ours_m == pytest.approx(r1, abs=0.01)
    assert 6 * ours_n2 / ours_m == pytest.approx(r2, abs=0.01)


# --------------------------------------------------------------------------------------------------
def test_moe_conventions() -> None:
    dense = ModelShape(n_layers=4, d_model=256, n_heads=4, vocab_size=1000, seq_len=512)
    moe = ModelShape(n_layers=4, d_model=256, n_heads=4, vocab_size=1000, seq_len=512, n_experts=8, top_k=2)
    expert = 2 * 256 * 1024
    router = 256 * 8
    assert count_params(moe, "non_embedding") == count_params(dense, "non_embedding") + 4 * (7 * expert + router)
    assert count_params(moe, "active") == count_params(dense, "total") + 4 * (expert + router)
    assert count_params(dense, "active") == count_params(dense, "total")
    assert flops_per_token(moe, "6nd") == 6 * count_params(moe, "active")
    assert flops_per_token(moe, "kaplan") == 6 * (count_params(moe, "active") - 1000 * 256)


def test_gated_untied_shapes() -> None:
    s = ModelShape(n_layers=2, d_model=64, n_heads=4, vocab_size=100, seq_len=32, d_ff=172, gated_ffn=True,
                   tied_embeddings=False)
    assert count_params(s, "non_embedding") == 2 * (4 * 64 * 64 + 3 * 64 * 172)
    assert count_params(s, "total") == count_params(s, "non_embedding") + 2 * 100 * 64


@pytest.mark.parametrize(
    ("kwargs", "fragment"),
    [
        ({"n_layers": 0}, r"`n_layers` of ModelShape must be an int >= 1. Got 0"),
        ({"d_model": 2.5}, r"`d_model` of ModelShape must be an int >= 1. Got 2.5"),
        ({"top_k": 3}, r"`top_k` of ModelShape must be <= `n_experts` \(1\). Got 3"),
    ],
)
def test_model_shape_rejects_bad_sizes(kwargs: dict[str, object], fragment: str) -> None:
    base: dict[str, object] = {"n_layers": 2, "d_model": 64, "n_heads": 4, "vocab_size": 100, "seq_len": 32}
    with pytest.raises(DataError, match=fragment):
        ModelShape(**{**base, **kwargs})  # type: ignore[arg-type]


def test_unknown_conventions() -> None:
    s = ModelShape(n_layers=2, d_model=64, n_heads=4, vocab_size=100, seq_len=32)
    with pytest.raises(DataError, match=r"`convention` of count_params must be one of"):
        count_params(s, "embedding")  # type: ignore[arg-type]
    with pytest.raises(DataError, match=r"`convention` of flops_per_token must be one of"):
        flops_per_token(s, "reported")  # type: ignore[arg-type]
    with pytest.raises(DataError, match=r"`shape` of count_params must be a ModelShape. Got dict"):
        count_params({"n_layers": 2}, "total")  # type: ignore[arg-type]


# --------------------------------------------------------------------------------------------------
SMALL = ModelShape(n_layers=2, d_model=64, n_heads=4, vocab_size=1000, seq_len=128)
LARGE = ModelShape(n_layers=4, d_model=128, n_heads=4, vocab_size=1000, seq_len=128)


@pytest.fixture
def table() -> pl.DataFrame:
    return pl.DataFrame({"run_id": ["s", "s", "l"], "step": [10, 20, 10], "loss": [4.0, 3.5, 3.2]})


def test_fill_chain_is_consistent_and_recorded(table: pl.DataFrame) -> None:
    shapes = {"s": SMALL, "l": LARGE}
    df, r1 = fill_n_params(table, shapes, "non_embedding")
    df, r2 = fill_n_tokens(df, tokens_per_step=1024)
    df, r3 = fill_flops(df, "kaplan", shapes=shapes)
    assert df.get_column("n_params").to_list() == [98304.0, 98304.0, 786432.0]
    assert df.get_column("n_tokens").to_list() == [10240.0, 20480.0, 10240.0]
    assert df.get_column("flops").to_list() == [6 * 98304.0 * 10240, 6 * 98304.0 * 20480, 6 * 786432.0 * 10240]
    assert df.get_column("flops_convention").unique().to_list() == ["kaplan"]
    assert df.get_column("n_params_convention").unique().to_list() == ["non_embedding"]
    assert "convention non_embedding" in r1
    assert "tokens_per_step=1024" in r2
    assert "convention kaplan" in r3
    validate_runs(df)
    # inverting flops gives the tokens back exactly for these integers
    back, r4 = fill_n_tokens(df.drop("n_tokens"), convention="kaplan", shapes=shapes)
    assert back.get_column("n_tokens").to_list() == df.get_column("n_tokens").to_list()
    assert "flops / flops per token (convention kaplan)" in r4


def test_fill_flops_6nd_uses_the_tables_params(table: pl.DataFrame) -> None:
    df = table.with_columns(n_params=pl.lit(1e8), n_params_convention=pl.lit("total"), n_tokens=pl.lit(1e9))
    out, record = fill_flops(df, "6nd")
    assert out.get_column("flops").to_list() == [6e17] * 3
    assert record == ("fill_flops: computed `flops` for 3 rows as 6 * n_params * n_tokens (n_params "
                      "convention 'total') (convention 6nd).")
    tokens, _ = fill_n_tokens(out.drop("n_tokens"), convention="6nd")
    assert tokens.get_column("n_tokens").to_list() == [1e9] * 3


def test_fill_refusals(table: pl.DataFrame) -> None:
    df = table.with_columns(n_params=pl.lit(1e8), n_tokens=pl.lit(1e9), flops=pl.lit(1.0))
    with pytest.raises(DataError, match=r"fill_flops: `df` already has a `flops` column.*overwrite=True"):
        fill_flops(df, "6nd")
    assert fill_flops(df, "6nd", overwrite=True)[0].get_column("flops").to_list() == [6e17] * 3
    with pytest.raises(DataError, match=r"`shapes` of fill_flops is required for convention 'chinchilla'"):
        fill_flops(df.drop("flops"), "chinchilla")
    with pytest.raises(DataError, match=r"`shapes` of fill_flops has no shape for 1 run \(\['l'\]\)"):
        fill_flops(df.drop("flops"), "deepseek", shapes={"s": SMALL})
    with pytest.raises(MissingColumnError, match=r"fill_flops needs a `n_tokens` column"):
        fill_flops(table, "6nd")
    with pytest.raises(SchemaError, match=r"column `n_tokens` used by fill_flops must be numeric"):
        fill_flops(table.with_columns(n_tokens=pl.lit("1e9"), n_params=pl.lit(1.0)), "6nd")
    with pytest.raises(DataError, match=r"column `n_tokens` used by fill_flops: 1 row .*are missing or not finite"):
        fill_flops(table.with_columns(n_tokens=pl.Series([1.0, math.nan, 2.0]), n_params=pl.lit(1.0)), "6nd")
    with pytest.raises(DataError, match=r"fill_n_tokens needs exactly one of"):
        fill_n_tokens(table)
    with pytest.raises(DataError, match=r"`tokens_per_step` of fill_n_tokens must be a finite number > 0"):
        fill_n_tokens(table, tokens_per_step=0)
    mixed = df.drop("n_tokens").with_columns(flops_convention=pl.lit("kaplan"))
    with pytest.raises(DataError, match=r"`convention` is '6nd' but the table's `flops_convention` is 'kaplan'"):
        fill_n_tokens(mixed, convention="6nd")
    with pytest.raises(DataError, match=r"`convention` of fill_n_params must be one of"):
        fill_n_params(table, SMALL, "all")  # type: ignore[arg-type]
    with pytest.raises(MissingColumnError, match=r"fill_n_params with a mapping of shapes needs a `run_id`"):
        fill_n_params(table.drop("run_id"), {"s": SMALL})


def test_fill_does_not_overflow_integer_columns() -> None:
    # 6 * N * D overflows int64 for real models; the fillers compute in float64
    df = pl.DataFrame({"n_params": [6_889_410_560], "n_tokens": [137_788_211_200], "loss": [2.0]})
    out, _ = fill_flops(df, "6nd")
    assert out.get_column("flops").item() == pytest.approx(6 * 6_889_410_560 * 137_788_211_200, rel=1e-15)
