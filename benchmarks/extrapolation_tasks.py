"""Extrapolation tasks built from the shared data sets: fit on the smaller part, predict the larger.

Each :class:`Task` holds a frame of training rows and a frame of held-out rows, the law it is scored
with (and the other laws that make sense on the same split), the column mapping and target, the axis
along which it extrapolates and a note stating the split in words. The split of every task is written
in its loader below, next to the note that describes it, so the two cannot drift apart.

Used by ``benchmarks/bench_extrapolation.py`` and meant for later benchmarks (law discovery, priors):

    from extrapolation_tasks import load_tasks
    for task in load_tasks(["chinchilla_epoch", "hitchhiker_opt"]):
        print(task.name, task.train.height, task.held.height, task.note)

A loader whose data are absent returns no task and prints why (to stderr). Data come from
``$SCALINGLAWS_DATA_DIR`` or else ``../shared/data`` next to the repository (the project layout).
"""

from __future__ import annotations

import os
import sys
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field, replace
from pathlib import Path

import numpy as np
import polars as pl

import scalinglaws as sl
from scalinglaws import datasets

DATA = Path(os.environ.get("SCALINGLAWS_DATA_DIR", Path(__file__).resolve().parents[2] / "shared" / "data"))
"""The shared data folder (one sub-folder per data set, as described in its README)."""


@dataclass(frozen=True)
class Task:
    """One extrapolation problem: fit ``law`` on ``train``, predict ``target`` on ``held``.

    Attributes
    ----------
    name
        Unique name (``<dataset>`` or ``<dataset>_<part>``, with ``:<law>`` for a second law).
    dataset
        Folder of the shared data the rows come from.
    train, held
        Training rows and held-out rows (the held-out rows lie beyond the training rows on
        ``scale_axis``; the note says exactly how).
    law
        The law single-law methods fit (a catalog name).
    laws
        Every law that makes sense on this split, ``law`` first (for selection and averaging).
    mapping
        Law input -> column (the ``--map`` of the CLI); inputs not named use the library's rule.
    target
        The column predicted.
    scale_axis
        The column along which the held-out rows lie beyond the training rows.
    note
        The split in words.
    group
        Column whose values are fitted separately (one law per value: per configuration, per model
        size); None for one fit.
    run
        Column naming the training run a row belongs to (several checkpoints per run), if any.
    family
        Set of tasks this one belongs to for a family-level summary (``"hitchhiker"``), if any.
    headline
        Counted in the cross-task summaries. False for tasks kept for study that a method cannot be
        expected to solve from the training rows alone (one model size to extrapolate in N).
    fit_options
        Extra :class:`scalinglaws.FitConfig` options a task needs (none by default).
    n_boot
        Bootstrap draws for the methods that bootstrap (None: the method's default).
    """

    name: str
    dataset: str
    train: pl.DataFrame
    held: pl.DataFrame
    law: str
    laws: tuple[str, ...]
    mapping: Mapping[str, str]
    target: str
    scale_axis: str
    note: str
    group: str | None = None
    run: str | None = None
    family: str | None = None
    headline: bool = True
    fit_options: Mapping[str, object] = field(default_factory=dict)
    n_boot: int | None = None

    def __post_init__(self) -> None:
        if self.law not in self.laws:
            raise ValueError(f"task {self.name!r}: `law` {self.law!r} must be one of `laws` {self.laws}.")
        for frame, part in ((self.train, "train"), (self.held, "held")):
            if frame.height == 0:
                raise ValueError(f"task {self.name!r}: no {part} rows.")
            if self.target not in frame.columns:
                raise ValueError(f"task {self.name!r}: target {self.target!r} missing from the {part} rows.")
        if self.group is not None:
            unseen = set(self.held[self.group].unique()) - set(self.train[self.group].unique())
            if unseen:
                raise ValueError(f"task {self.name!r}: held-out groups {sorted(unseen)} have no training rows.")

    def mapping_for(self, law: str) -> dict[str, str]:
        """The entries of ``mapping`` that name inputs of ``law`` (a task's mapping covers all its laws)."""
        inputs = set(sl.get_law(law).inputs)
        return {symbol: column for symbol, column in self.mapping.items() if symbol in inputs}

    def with_law(self, law: str) -> Task:
        """The same split scored with another of its laws (named ``<name>:<law>``)."""
        if law == self.law:
            return self
        if law not in self.laws:
            raise ValueError(f"task {self.name!r}: `law` {law!r} must be one of {self.laws}.")
        return replace(self, name=f"{self.name}:{law}", law=law, laws=(law, *(x for x in self.laws if x != law)))

    def groups(self) -> Iterable[tuple[str | None, pl.DataFrame, pl.DataFrame]]:
        """``(group value, train rows, held rows)`` for each separately fitted part (one part, with
        value None, when the task has no group); held rows keep their order within a part."""
        if self.group is None:
            yield None, self.train, self.held
            return
        for value in sorted(self.held[self.group].unique().to_list()):
            yield (
                str(value),
                self.train.filter(pl.col(self.group) == value),
                self.held.filter(pl.col(self.group) == value),
            )

    @property
    def held_target(self) -> np.ndarray:
        """The held-out targets in the order of :meth:`groups` (the order predictions come in)."""
        return np.concatenate([held[self.target].to_numpy().astype(float) for _, _, held in self.groups()])


class Skipped(Exception):
    """A task cannot be built here (its data are absent); the message says why."""


def _require(*paths: Path) -> None:
    missing = [str(p) for p in paths if not p.exists()]
    if missing:
        raise Skipped(f"missing {', '.join(missing)}")


# ------------------------------------------------------------------------------------ Chinchilla

CHINCHILLA_HELD_N = 4e9
"""Epoch/Chinchilla: model sizes from here up are held out (the six largest sizes, 4.5e9 to 1.6e10)."""


def chinchilla_epoch() -> list[Task]:
    _require(DATA / "chinchilla_epoch" / "svg_extracted_data.csv")
    runs = datasets.load("chinchilla_epoch", data_dir=DATA)
    # Epoch's protocol (README): drop the 5 highest-loss points, keeping loss < the 5th-largest loss.
    fifth = float(np.sort(runs["loss"].to_numpy())[-5])
    runs = runs.filter(pl.col("loss") < fifth)
    train = runs.filter(pl.col("N") < CHINCHILLA_HELD_N)
    held = runs.filter(pl.col("N") >= CHINCHILLA_HELD_N)
    return [Task(
        name="chinchilla_epoch", dataset="chinchilla_epoch", train=train, held=held,
        law="chinchilla", laws=("chinchilla",), mapping={"N": "N", "D": "D"}, target="loss",
        scale_axis="N",
        note=(f"Epoch's 240 points (5 highest losses dropped); fit on N < {CHINCHILLA_HELD_N:.0e} "
              f"({train.height} runs), predict the {held.height} runs of the six largest sizes "
              f"(N {held['N'].min():.2g}-{held['N'].max():.2g})"),
    )]


# ---------------------------------------------------------------------------------- Datablations

DATABLATIONS_HELD_C = 5e20
"""Muennighoff train region: runs with 6ND from here up are held out (the top ~22% of compute)."""


def datablations() -> list[Task]:
    path = DATA / "datablations_muennighoff_trainregion" / "datablations_contour_losses.csv"
    _require(path)
    # The raw table, read as the CLI does (`--map N=num_params --map D=token_num
    # --map U=unique_tokens_U --target openLM_loss`); its `flops` column is 6ND (README). Only the runs
    # of the authors' parametric fit are kept (`in_authors_fit` of the library's `datablations_final`,
    # the same file row for row): the 38 others of the region, most of them models >= 0.6B on 100M-1.5B
    # unique tokens, diverge from any law (losses up to 11 nats) and would swamp the held-out error.
    raw = pl.read_csv(path, infer_schema_length=None)
    authors = datasets.load("datablations_final", data_dir=DATA)["in_authors_fit"]
    everything = raw.height
    runs = raw.filter(authors).select("num_params", "token_num", "unique_tokens_U", "epochs", "flops", "openLM_loss")
    train = runs.filter(pl.col("flops") < DATABLATIONS_HELD_C)
    held = runs.filter(pl.col("flops") >= DATABLATIONS_HELD_C)
    task = Task(
        name="datablations_muennighoff_trainregion", dataset="datablations_muennighoff_trainregion",
        train=train, held=held, law="muennighoff", laws=("muennighoff", "chinchilla"),
        mapping={"N": "num_params", "D": "token_num", "U": "unique_tokens_U"}, target="openLM_loss",
        scale_axis="flops",
        note=(f"the {runs.height} of the region's {everything} contour runs that the authors' fit uses; fit on "
              f"6ND < {DATABLATIONS_HELD_C:.0e} "
              f"({train.height} runs), predict the {held.height} runs with 6ND >= {DATABLATIONS_HELD_C:.0e} "
              f"(up to {held['flops'].max():.2g})"),
    )
    return [task, task.with_law("chinchilla")]


# -------------------------------------------------------------------------- Hitchhiker's Guide

HITCHHIKER_MIN_TOKENS = 1e10
"""Training checkpoints at or below 10B tokens are dropped (Choshen et al.: fitting without them
lowers ARE from >15% to 4-10%; ColPret `hist_fit(cut_beginning=10**10)`, rows with tokens > 1e10)."""
HITCHHIKER_TEST_FRACTION = 0.7
"""The target is scored on its checkpoints from 70% of its training on (ColPret `hist_fit`,
``test_percentage=0.7``: ``get_model_data(min_percentage=0.7)`` keeps tokens >= 0.7 * max tokens)."""

_HH = DATA / "hitchhiker_colpret"


def _curves(name: str, rows: pl.DataFrame, source: str, headline: bool = True) -> Task:
    """A Hitchhiker's-Guide family task from checkpoint rows (run, n_params, n_tokens, loss).

    Their protocol (ColPret `util/fit_utils.py` `hist_fit` with the defaults of `fit.py`, checked
    against arXiv:2410.11840): the target is the largest model of the family; the law is fitted on the
    smaller models' checkpoints with more than 10B tokens seen (here all of their training: ColPret's
    largest `percentage`, 1, and its largest number of training models); the score is the mean
    absolute relative error over the target's checkpoints from 70% of its training on.
    """
    rows = rows.filter(pl.col("loss").is_finite() & (pl.col("loss") > 0)).sort("n_params", "n_tokens")
    sizes = rows.group_by("run").agg(pl.col("n_params").first()).sort("n_params")
    target = sizes["run"][-1]
    smaller = sizes["run"][:-1].to_list()
    train = rows.filter(pl.col("run").is_in(smaller) & (pl.col("n_tokens") > HITCHHIKER_MIN_TOKENS))
    target_rows = rows.filter(pl.col("run") == target)
    held = target_rows.filter(pl.col("n_tokens") >= HITCHHIKER_TEST_FRACTION * target_rows["n_tokens"].max())
    protocol = (f"fit on the {len(smaller)} smaller model(s) ({', '.join(smaller)}: {train.height} "
                f"checkpoints > 1e10 tokens), predict {target}'s last 30% of training ({held.height} "
                f"checkpoints, {held['n_tokens'].min():.3g}-{held['n_tokens'].max():.3g} tokens); {source}")
    if not headline:
        protocol += ("; one smaller size only, so the N-term is not identified from the training rows "
                     "(ColPret's hist_fit needs >= 2 training models): kept for priors, not in the means")
    return Task(
        name=f"hitchhiker_{name}", dataset="hitchhiker_colpret", train=train, held=held,
        law="chinchilla", laws=("chinchilla",), mapping={"N": "n_params", "D": "n_tokens"},
        target="loss", scale_axis="n_params", note=protocol, run="run", family="hitchhiker",
        headline=headline,
    )


_OPT_PARAMS = {"125m": 125e6, "1.3b": 1.3e9, "6.7b": 6.7e9, "13b": 13e9, "30b": 30e9, "175b": 175e9}


def hitchhiker_opt() -> Task:
    path = _HH / "aggregated_eval" / "opt_trajectories.csv"
    _require(path)
    raw = pl.read_csv(path)
    rows = raw.select(
        run=pl.lit("OPT-") + pl.col("model_size"),
        n_params=pl.col("model_size").replace_strict(_OPT_PARAMS, return_dtype=pl.Float64),
        # `num_token` is log10 of tokens seen (README); equal to ColPret's steps x batch size.
        n_tokens=10.0 ** pl.col("num_token"),
        loss=pl.col("ppl").log(),
    )
    return _curves("opt", rows, "loss = ln(perplexity) (ColPret scores OPT's raw perplexity, its column "
                   "being named `loss`; a loss law is fitted to a loss here)")


def hitchhiker_gpt3() -> Task:
    _require(_HH / "raw_data" / "gpt3" / "extracted.csv")
    raw = datasets.load("gpt3_curves", data_dir=DATA)
    rows = raw.filter(pl.col("val_loss").is_not_null()).select(
        "n_params", "n_tokens", run=pl.lit("GPT-3 ") + pl.col("run_id"), loss=pl.col("val_loss"),
    )
    return _curves("gpt3", rows, "digitised validation loss (ColPret `val_loss`), tokens = billions x 1e9")


_T5_PARAMS = {"base": 247586304.0, "large": 783173632.0, "xl": 2849804288.0, "xxl": 11135426560.0}
"""Pile-T5 sizes as ColPret's `get_t5` gives them."""


def hitchhiker_t5_pile() -> Task:
    path = _HH / "aggregated_eval" / "t5_pile.csv"
    _require(path)
    raw = pl.read_csv(path, infer_schema_length=None, columns=["model_name", "steps", "val_perplexity"])
    rows = raw.filter(pl.col("steps") > 0).select(
        run=pl.lit("pile-t5-") + pl.col("model_name"),
        n_params=pl.col("model_name").replace_strict(_T5_PARAMS, return_dtype=pl.Float64),
        n_tokens=pl.col("steps").cast(pl.Float64) * 1e6,  # ColPret: steps x 1e6 = tokens
        loss=pl.col("val_perplexity").cast(pl.Float64).log(),  # ColPret: log2 of val_perplexity (ARE is the same)
    )
    return _curves("t5_pile", rows, "loss = ln(val_perplexity), tokens = steps x 1e6 (ColPret get_t5)")


def hitchhiker_lamda() -> Task:
    path = _HH / "aggregated_eval" / "revisiting_lang.csv"
    _require(path)
    raw = pl.read_csv(path, infer_schema_length=None)
    rows = raw.filter((pl.col("Domain") == "LM") & (pl.col("Task") == "val_loss")).select(
        run=pl.lit("LaMDA-") + pl.col("Model"),
        n_params=pl.col("Model").cast(pl.Float64),
        n_tokens=pl.col("Seen Examples").cast(pl.Float64),  # ColPret: `Seen Examples` -> tokens_seen
        loss=pl.col("Loss").cast(pl.Float64),
    )
    return _curves("lamda", rows, "Alabdulmohsin et al.'s LaMDA-style decoder val_loss (ColPret scaled_set "
                   "`lambda`), D = seen examples as ColPret reads them")


_OLMO_DOMAINS = ("4chan", "c4_100_domains", "c4_en", "gab", "ice", "m2d2_s2orc", "m2d2_wiki", "manosphere",
                 "mc4_en", "wikitext_103")
"""Validation sets logged for both OLMo-1B (as `v2-small-<set>`) and OLMo-7B (as `<set>`) at every row."""


def hitchhiker_olmo() -> Task:
    path = _HH / "aggregated_eval" / "olmo.csv"
    _require(path)
    raw = pl.read_csv(path, infer_schema_length=None).with_columns(
        pl.col("model_name").str.strip_chars()  # the source writes "OLMo-1B " with a trailing space
    ).filter(pl.col("model_name").is_in(["OLMo-1B", "OLMo-7B"]))
    column = {
        "OLMo-1B": [f"v2-small-{d}-validation/CrossEntropyLoss" for d in _OLMO_DOMAINS],
        "OLMo-7B": [f"{d}-validation/CrossEntropyLoss" for d in _OLMO_DOMAINS],
    }
    parts = [
        raw.filter(pl.col("model_name") == model).select(
            run=pl.col("model_name"),
            n_params=pl.lit(1.0e9 if model == "OLMo-1B" else 7.0e9),  # ColPret: to_int("1B"/"7B")
            n_tokens=pl.col("Step").cast(pl.Float64) * 4e6,  # ColPret get_olmo: Step x 4e6
            loss=pl.mean_horizontal([pl.col(c).cast(pl.Float64) for c in cols]),
        )
        for model, cols in column.items()
    ]
    return _curves("olmo", pl.concat(parts), "loss = mean cross-entropy over the 10 validation sets both "
                   "runs log (ColPret averages whichever are present, which differ between the runs)",
                   headline=False)


def hitchhiker_redpajama() -> Task:
    paths = {size: _HH / "raw_data" / "redPajama" / f"{size}.csv" for size in ("2.4B", "6.7B")}
    _require(*paths.values())
    parts = [
        pl.read_csv(path, has_header=False, new_columns=["tokens_b", "loss"], schema_overrides=[pl.Float64, pl.String]).select(
            run=pl.lit(f"RedPajama-INCITE-{size}"),
            n_params=pl.lit(float(size[:-1]) * 1e9),
            n_tokens=pl.col("tokens_b").cast(pl.Float64) * 1e9,
            loss=pl.col("loss").str.strip_chars().cast(pl.Float64),  # written ", 2.39": a leading space
        )
        for size, path in paths.items()
    ]
    return _curves("redpajama", pl.concat(parts), "digitised training loss from the blog (ColPret "
                   "get_red_pajama)", headline=False)


def hitchhiker() -> list[Task]:
    tasks = []
    for loader in (hitchhiker_opt, hitchhiker_gpt3, hitchhiker_t5_pile, hitchhiker_lamda,
                   hitchhiker_olmo, hitchhiker_redpajama):
        try:
            tasks.append(loader())
        except Skipped as why:
            _skip(loader.__name__, str(why))
    return tasks


# ------------------------------------------------------------------------------------ Porian

PORIAN_HELD_C = 5e18
"""Porian IsoFLOPs: budgets from here up are held out (6.4e18-2.56e19: the top three, or two where
the configuration stops at 1.28e19); the fit sees the nine budgets 1.25e16-3.2e18."""


def porian() -> list[Task]:
    _require(DATA / "porian2024_discrepancies" / "isoflop_points.csv")
    runs = datasets.load("porian_isoflop", data_dir=DATA).select("group", "flops", "n_params", "n_tokens", "loss")
    train = runs.filter(pl.col("flops") < PORIAN_HELD_C)
    held = runs.filter(pl.col("flops") >= PORIAN_HELD_C)
    n_configs = runs["group"].n_unique()
    return [Task(
        name="porian2024_discrepancies", dataset="porian2024_discrepancies", train=train, held=held,
        law="chinchilla", laws=("chinchilla",), mapping={"N": "n_params", "D": "n_tokens"}, target="loss",
        scale_axis="flops", group="group",
        note=(f"each of the {n_configs} training configurations fitted on its own; fit on the IsoFLOP budgets "
              f"< {PORIAN_HELD_C:.0e} ({train.height} runs), predict the {held.height} runs at budgets "
              f"{held['flops'].min():.3g}-{held['flops'].max():.3g}"),
    )]


# -------------------------------------------------------------------------------------- Gadre

GADRE_SMALL = ("d=96_l=8_h=4", "d=512_l=8_h=4", "d=576_l=24_h=8", "d=1024_l=24_h=8")


def gadre() -> list[Task]:
    _require(DATA / "overtrain_gadre2024" / "overtrain_models.csv")
    runs = datasets.load("overtrain", data_dir=DATA).filter(pl.col("group") == "rpj").select(
        "run_id", "model_config", "n_params", "n_tokens", "flops", "tokens_per_param", "loss_c4_val"
    )
    # The authors' fit (README; mlfoundations/scaling scaling_explorer.ipynb, paper Table 2): RedPajama
    # training, C4 eval loss, the 4 small configurations at M = 20 plus d=96 at M = 320. Their held-out
    # predictions: the 1.4B model at M = 640 and the 6.9B model at M = 20.
    is_train = (pl.col("model_config").is_in(GADRE_SMALL) & (pl.col("tokens_per_param") == 20)) | (
        (pl.col("model_config") == "d=96_l=8_h=4") & (pl.col("tokens_per_param") == 320)
    )
    is_held = ((pl.col("model_config") == "open_lm_1b") & (pl.col("tokens_per_param") == 640)) | (
        (pl.col("model_config") == "open_lm_7b") & (pl.col("tokens_per_param") == 20)
    )
    train, held = runs.filter(is_train), runs.filter(is_held)
    return [Task(
        name="overtrain_gadre2024", dataset="overtrain_gadre2024", train=train, held=held,
        law="gadre_overtrain", laws=("gadre_overtrain",), mapping={"C": "flops", "M": "tokens_per_param"},
        target="loss_c4_val", scale_axis="flops",
        note=("the authors' split: RedPajama, C4 eval loss; fit on the 4 small configurations at M = 20 "
              "plus d=96 at M = 320 (5 runs, 1.1e7-4.1e8 params), predict 1.4B at M = 640 and 6.9B at "
              "M = 20 (their relative errors: 0.71% and 0.73%)"),
    )]


# ---------------------------------------------------------------------------------------- Luo

LUO_TRAIN = ("cosine_24000", "constant_24000", "wsdcon_9")
LUO_TEST = ("constant_72000", "cosine_72000", "wsd_20000_24000", "wsdld_20000_24000", "wsdcon_3", "wsdcon_18")
LUO_SIZES = (25, 100, 400)


def luo() -> list[Task]:
    folder = DATA / "lr_schedule_curves_mpl_luo2025"
    _require(*(folder / f"csv_{size}" for size in LUO_SIZES))
    # As benchmarks/bench_multi_power.py: the authors' train and test schedules, 32 history blocks for
    # the fit and 64 for the held-out curves (the history width may differ between the two frames).
    train = pl.concat([datasets.mpl_curves(size, LUO_TRAIN, 32, data_dir=DATA) for size in LUO_SIZES])
    held = pl.concat([datasets.mpl_curves(size, LUO_TEST, 64, data_dir=DATA) for size in LUO_SIZES])
    return [Task(
        name="lr_schedule_curves_mpl_luo2025", dataset="lr_schedule_curves_mpl_luo2025", train=train,
        held=held, law="multi_power", laws=("multi_power",), mapping={}, target="loss", scale_axis="step",
        group="n_params", run="run_id",
        note=(f"each size (25M, 100M, 400M) fitted on its own; fit on the authors' train curves "
              f"{', '.join(LUO_TRAIN)} ({train.height} points), predict their 6 held-out schedules "
              f"({held.height} points, up to 72,000 steps)"),
        n_boot=50,
    )]


# ----------------------------------------------------------------------------------- registry

LOADERS: Mapping[str, Callable[[], list[Task]]] = {
    "chinchilla_epoch": chinchilla_epoch,
    "datablations_muennighoff_trainregion": datablations,
    "hitchhiker_colpret": hitchhiker,
    "porian2024_discrepancies": porian,
    "overtrain_gadre2024": gadre,
    "lr_schedule_curves_mpl_luo2025": luo,
}
"""Data set -> loader of its tasks."""

SLOW = frozenset({"lr_schedule_curves_mpl_luo2025"})
"""Data sets whose tasks are slow to fit (multi-power fits take 30-50 s each); loaded only on request."""


def _skip(name: str, why: str) -> None:
    print(f"skipping {name}: {why}", file=sys.stderr)


_PREFIX: Mapping[str, str] = {"hitchhiker_colpret": "hitchhiker_"}
"""Data set -> how its tasks' names begin (the data set's own name when not listed)."""


def load_tasks(select: Sequence[str] | None = None, include_slow: bool = False) -> list[Task]:
    """The tasks whose name, or data set, is in ``select`` (all but the slow ones when None).

    A name selects a data set's tasks (``hitchhiker_colpret``) or one task (``hitchhiker_opt``,
    ``datablations_muennighoff_trainregion:chinchilla``). Data sets whose data are absent are skipped
    with a printed reason.

    Raises
    ------
    ValueError
        If a selected name is neither a data set nor a task.
    """
    wanted = None if select is None else set(select)
    tasks: list[Task] = []
    skipped: list[str] = []
    for dataset, loader in LOADERS.items():
        prefix = _PREFIX.get(dataset, dataset)
        if wanted is None:
            if dataset in SLOW and not include_slow:
                continue
        elif dataset not in wanted and not any(w.startswith(prefix) for w in wanted):
            continue
        try:
            built = loader()
        except Skipped as why:
            _skip(dataset, str(why))
            skipped.append(prefix)
            continue
        tasks.extend(t for t in built if wanted is None or dataset in wanted or t.name in wanted)
    if wanted is not None:
        found = set(LOADERS) | {t.name for t in tasks}
        unknown = sorted(w for w in wanted - found if not any(w.startswith(p) for p in skipped))
        if unknown:
            raise ValueError(f"unknown task(s) {unknown}; data sets: {sorted(LOADERS)}.")
    return tasks


def describe(tasks: Iterable[Task]) -> str:
    """One line per task: name, law, row counts and the split in words."""
    return "\n".join(
        f"{t.name} [{t.law}] train {t.train.height}, held {t.held.height}"
        + ("" if t.headline else " (not in the means)") + f": {t.note}"
        for t in tasks
    )


if __name__ == "__main__":
    print(describe(load_tasks(sys.argv[1:] or None, include_slow=True)))
    print(f"(data from {DATA})")
