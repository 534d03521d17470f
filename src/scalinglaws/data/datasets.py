"""Public reference data sets of scaling-law studies, as tidy polars tables.

Nothing is bundled with the package: :func:`load` reads the original files either from a local folder or
from their public source.

* If ``data_dir`` is given, or the environment variable ``SCALINGLAWS_DATA_DIR`` is set, the files are
  read from ``<data_dir>/<folder>/<file>`` (the layout of the project's shared data folder, see
  :func:`dataset_info`).
* Otherwise each file is downloaded once from its public URL (pinned to a commit) into a user cache
  (``SCALINGLAWS_CACHE_DIR``, else ``$XDG_CACHE_HOME/scalinglaws``, else ``~/.cache/scalinglaws``) and
  checked against a sha256 checksum. Some tables exist only as curated local copies (subsets or
  flattened files); they have no download source and need a data folder.

Check each data set's licence (:func:`dataset_info`) before redistributing it.

Examples
--------
>>> from scalinglaws import datasets
>>> df = datasets.load("chinchilla_epoch")  # doctest: +SKIP
>>> df.columns  # doctest: +SKIP
['N', 'D', 'C', 'loss']
"""

from __future__ import annotations

import hashlib
import os
import tempfile
import urllib.request
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path

import polars as pl

from scalinglaws import schedules
from scalinglaws.data._builders import (
    _MPL_SIZES,
    _chinchilla,
    _datablations_curves,
    _datablations_final,
    _gpt3,
    _mpl,
    _obsscaling,
    _overtrain,
    _porian,
    mpl_learning_rates,
)
from scalinglaws.errors import ArgumentError, DataError

__all__ = [
    "DatasetInfo", "SourceFile", "dataset_info", "list_datasets", "load", "mpl_curves", "mpl_learning_rates"
]

DATA_DIR_ENV = "SCALINGLAWS_DATA_DIR"
CACHE_DIR_ENV = "SCALINGLAWS_CACHE_DIR"
_TIMEOUT = 60.0


@dataclass(frozen=True)
class SourceFile:
    """One file a data set is built from.

    Attributes
    ----------
    path
        Path inside the data set's folder (and inside the cache).
    url
        Public download URL pinned to a commit, or None for curated local-only files.
    sha256
        Expected checksum of the file, or None when unknown (local-only derived files).
    """

    path: str
    url: str | None = None
    sha256: str | None = None


@dataclass(frozen=True)
class DatasetInfo:
    """Description of a data set known to :func:`load`.

    Attributes
    ----------
    name
        Name passed to :func:`load`.
    folder
        Folder of the files under the data directory.
    description
        What one row is, and the columns.
    citation
        The paper(s) the data comes from.
    license
        Licence of the source, as far as known.
    files
        The source files.
    """

    name: str
    folder: str
    description: str
    citation: str
    license: str
    files: tuple[SourceFile, ...]
    build: Callable[[Mapping[str, Path]], pl.DataFrame] = field(repr=False, compare=False)


# ------------------------------------------------------------------------------------------- registry

_EPOCH = "https://raw.githubusercontent.com/epoch-research/analyzing-chinchilla/92258837425e1b5f2851d624287f0120583a3d0e"
_MPL = "https://raw.githubusercontent.com/thu-yao-01-luo/MultiPowerLaw/8da9f1902602f3391b971a811e3cc51604541769/loss_curve_repo"
_OBS = "https://raw.githubusercontent.com/ryoungj/ObsScaling/4d6e1e43fd2635d04654aa77d1df9d5266ea0382/eval_results"
_COLPRET = "https://raw.githubusercontent.com/IBM/ColPret/16f23bbe054277ddc4afd07a972dd7cfbe3f48c3"

_MPL_SHA256 = {
    "csv_100/constant_24000.csv": "034a75e2415373a9be1097e9d406f98524344f4718d200d3a188dcbd5115103b",
    "csv_100/constant_72000.csv": "52b5752009e1e4c396f15016e98897238fccb3816f58576ea944f03fe529dbc3",
    "csv_100/cosine_24000.csv": "dd544dc61a11fa138c98ac0b673d5512287062d2d2d2e9c2867976abc8c46e69",
    "csv_100/cosine_72000.csv": "2e637203b48b3e3a84063f49035cde2f6a40c69ecd15d95b6551774b9a279f44",
    "csv_100/wsd_20000_24000.csv": "e66df98c85dba705ebc85512c6a09a8ebec5675878a20d4d783c0bf80d031002",
    "csv_100/wsdcon_18.csv": "33cfea673dc0efde9e4fd74cc47d8daabdebfdc6d5a2659835bd780347f6e651",
    "csv_100/wsdcon_3.csv": "a1cbb8c730ae0628d69bb1d7aefadbad5cda5f6a92272f85203cd33d7b8f4912",
    "csv_100/wsdcon_9.csv": "510256497a0ea9d4270919fb37c56140e1b4d07e50b96b46334891ba316f144e",
    "csv_100/wsdld_20000_24000.csv": "0ef6b02e260ff5efa51a5885655ead8cf126a7e9c4ea3034d403e11852c06fe2",
    "csv_25/constant_24000.csv": "5a7c0b440751e258e7199eeefe9f0ae58520a2f2d64c5f81524d8d375f75f0ce",
    "csv_25/constant_72000.csv": "99ee51a9be7b7fb71511d0af28edd6bc6221350d2ad26a66c615467cb5c83247",
    "csv_25/cosine_24000.csv": "554e35f9efbe28a614c9ae1121b3bf55490df6b72a5898957f68a52770038e3a",
    "csv_25/cosine_72000.csv": "af3b25a485966a0f7fc34824774cf8ec85af14848a6dc7b64d6a8d3d044befa5",
    "csv_25/wsd_20000_24000.csv": "8649b7de4b4b31db5c35f4ff0458af9472a50168177de6372c3ceb37ace9fc62",
    "csv_25/wsdcon_18.csv": "9b9bd40f519d20ecbf540d4c9451f6a01b7b379b1d335407ba4651025cc5926f",
    "csv_25/wsdcon_3.csv": "3d37fcf82c237e5c1ba2ee34c4b9e606ecba781536d4fea9a7dde5463207fc3d",
    "csv_25/wsdcon_9.csv": "b7579f38b5e175d9e9dc9b9598b409efdf2cba0a68819857ba28649c242c2bd8",
    "csv_25/wsdld_20000_24000.csv": "8e3a9ae33ed586e5040a114fad215f4f245c6a2ff7d96f61cba02ccd8b74b3e7",
    "csv_400/constant_24000.csv": "5d91536675592acdc40ea56f71ca24ee9026243e51a0a791ac25b631381c45ee",
    "csv_400/constant_72000.csv": "a453ef82f549470cc8250723917668801436dd835fd17bbf71e1fd77d00a3b6c",
    "csv_400/cosine_24000.csv": "aa18c9dbad66610d2037249bbcbf08fdce0983aa486b876ba95c2e3fb6fc0dce",
    "csv_400/cosine_72000.csv": "347acbdc80042cb7cfe0dcb28580a2780718ccbad23443d4de76821f0a1ab41e",
    "csv_400/wsd_20000_24000.csv": "8a56dbd8f6b553b42ca8b3f4be9822cf5b7458a6c1b7ae0ddc6ac57b2893dea7",
    "csv_400/wsdcon_18.csv": "998aaf3fd14de43fe754c7250885d7f72e20e7a210b1ea205a8af37ea8b22951",
    "csv_400/wsdcon_3.csv": "e1a896755ea1e1a6a4648a503be6a19eb62fc7ef12fbab3440a66f7a94197ac6",
    "csv_400/wsdcon_9.csv": "497aa4a60df8f520e11e212a990dcf70e8bfd89e814f295dc5476af630aac768",
    "csv_400/wsdld_20000_24000.csv": "7c5d5141d917955491732606e8817e7fdbd4bc2036e508e1610ab8bd252267dc",
}

_REGISTRY: dict[str, DatasetInfo] = {
    info.name: info
    for info in (
        DatasetInfo(
            name="chinchilla_epoch",
            folder="chinchilla_epoch",
            description="245 final losses of Chinchilla's Approach-3 runs digitised from Hoffmann et al. "
                        "Fig. 4 by Epoch AI. Columns N (parameters), D = C/(6N) (tokens, Epoch's "
                        "imputation), C (training FLOP), loss (nats/token).",
            citation="Besiroglu et al. 2024, Chinchilla Scaling: A replication attempt (arXiv:2404.10102); "
                     "Hoffmann et al. 2022 (arXiv:2203.15556).",
            license="no LICENSE file in the source repository; values digitised from a published figure",
            files=(SourceFile("svg_extracted_data.csv", f"{_EPOCH}/data/svg_extracted_data.csv",
                              "193478df4e90f040016431996c45682659306840ecdadf83cfb9cd5ca0aa1b30"),),
            build=_chinchilla,
        ),
        DatasetInfo(
            name="mpl_lr_schedules",
            folder="lr_schedule_curves_mpl_luo2025",
            description="27 full training-loss curves (25M, 100M, 400M parameters x 9 learning-rate "
                        "schedules), one row per logged step: run_id ('<size>M_<schedule>'), group "
                        "(schedule), n_params (nominal size), step, lr, loss.",
            citation="Luo et al. 2025, A Multi-Power Law for Loss Curve Prediction Across Learning Rate "
                     "Schedules (arXiv:2503.12811).",
            license="MIT",
            files=tuple(SourceFile(p, f"{_MPL}/{p}", h) for p, h in _MPL_SHA256.items()),
            build=_mpl,
        ),
        DatasetInfo(
            name="obsscaling_base",
            folder="obsscaling_ruan2024",
            description="Benchmark accuracies of 148 public base LLMs: run_id (model), group (family), "
                        "n_params, n_tokens, flops (reported, about 6ND; missing for some), then mmlu, "
                        "arc_c, hellaswag, winograd, truthfulqa, gsm8k, xwinograd, humaneval.",
            citation="Ruan, Maddison, Hashimoto 2024, Observational Scaling Laws (arXiv:2405.10938).",
            license="Apache-2.0",
            files=(SourceFile("base_llm_benchmark_eval.csv", f"{_OBS}/base_llm_benchmark_eval.csv",
                              "511996815735a4c46251dc585dcc525e370d148201f86561e6f927f9df2d0db8"),),
            build=_obsscaling,
        ),
        DatasetInfo(
            name="gpt3_curves",
            folder="hitchhiker_colpret",
            description="Training curves of the 8 GPT-3 sizes digitised from Brown et al. 2020 (via "
                        "ColPret): run_id (size name), n_params (Table 2.1), n_tokens, train_loss, "
                        "val_loss (train and val points are on different rows; digitising gives "
                        "several points per token count, so (run_id, n_tokens) is not unique).",
            citation="Choshen, Zhang, Andreas 2025, A Hitchhiker's Guide to Scaling Law Estimation "
                     "(arXiv:2410.11840); Brown et al. 2020 (arXiv:2005.14165).",
            license="MIT (ColPret repository); digitised third-party results",
            files=(SourceFile("raw_data/gpt3/extracted.csv", f"{_COLPRET}/raw_data/gpt3/extracted.csv",
                              "ea73b550de60d8b278523fa69385df0c2892546f8820aea12b4d1fe2d4f98962"),),
            build=_gpt3,
        ),
        DatasetInfo(
            name="datablations_curves",
            folder="datablations_muennighoff_trainregion",
            description="Validation-loss curves of the 2.8B-parameter data-repetition runs (C4 and OSCAR, "
                        "1-44 epochs): run_id ('<data>_<epochs>epochs'), group (data), n_params, n_tokens "
                        "(seen), n_unique_tokens (seen, min(n_tokens, unique_data_tokens)), "
                        "unique_data_tokens (size of the repeated data set), epochs (planned), loss. "
                        "Curated subset: large runs withheld; the "
                        "source's flops column is unreliable and left out (use fill_flops).",
            citation="Muennighoff et al. 2023, Scaling Data-Constrained Language Models (arXiv:2305.16264).",
            license="MIT (ColPret tables); Apache-2.0 upstream",
            files=(SourceFile("datablations_losses.csv"),),
            build=_datablations_curves,
        ),
        DatasetInfo(
            name="datablations_final",
            folder="datablations_muennighoff_trainregion",
            description="Final losses of the data-constrained contour runs: run_id, group (data), "
                        "n_params, n_tokens, n_unique_tokens, epochs, flops (6ND), loss, in_authors_fit "
                        "(the run is in the authors' 182-run parametric fit). Curated subset "
                        "(N < 4.2e9, D < 6e11).",
            citation="Muennighoff et al. 2023, Scaling Data-Constrained Language Models (arXiv:2305.16264).",
            license="MIT (ColPret tables); Apache-2.0 upstream",
            files=(SourceFile("datablations_contour_losses.csv"),),
            build=_datablations_final,
        ),
        DatasetInfo(
            name="overtrain",
            folder="overtrain_gadre2024",
            description="104 over-trained models: run_id, group (training set), model_config, n_params "
                        "(total), n_params_non_embedding, n_tokens, tokens_per_param, flops (6ND), then "
                        "the source's hyper-parameters, loss_<eval set> and err_<task> columns.",
            citation="Gadre et al. 2024, Language models scale reliably with over-training and on "
                     "downstream tasks (arXiv:2403.08540).",
            license="MIT",
            files=(SourceFile("overtrain_models.csv"),),
            build=_overtrain,
        ),
        DatasetInfo(
            name="porian_isoflop",
            folder="porian2024_discrepancies",
            description="IsoFLOP final losses under 15 training configurations: group (the configuration "
                        "'dataset/hparams/warmup/decay/param_count/val') and its parts, flops (budget), "
                        "n_params (under the row's param_count convention), n_tokens = C/(6N), loss. Fit "
                        "one configuration at a time.",
            citation="Porian et al. 2024, Resolving Discrepancies in Compute-Optimal Scaling of Language "
                     "Models (arXiv:2406.19146).",
            license="MIT-style permission text",
            files=(SourceFile("isoflop_points.csv"),),
            build=_porian,
        ),
    )
}


def mpl_curves(
    size: int, names: Sequence[str], n_blocks: int | None = 32, data_dir: str | Path | None = None
) -> pl.DataFrame:
    """Loss curves of ``mpl_lr_schedules`` for one model size (25, 100 or 400, millions of parameters)
    and the schedules ``names`` (values of its ``group`` column), with the inputs of the multi-power law added (see
    :func:`scalinglaws.schedules.with_schedule_inputs`). As in the authors' loader, the 24,000-step
    runs lose their last point.

    Raises
    ------
    ValueError
        If ``size`` or a schedule is not in the data set.
    """
    if size not in _MPL_SIZES:
        raise ArgumentError(
            f"`size` must be one of {list(_MPL_SIZES)}. Got {size!r} instead.",
            argument="size",
        )
    rates = {f"{size}M_{name}": mpl_learning_rates(name) for name in names}
    runs = load("mpl_lr_schedules", data_dir=data_dir).filter(
        pl.col("run_id").is_in(list(rates)),
        ~(pl.col("group").str.ends_with("24000") & (pl.col("step") == 24000)),
    )
    return schedules.with_schedule_inputs(runs, rates, run="run_id", n_blocks=n_blocks)


def list_datasets() -> tuple[str, ...]:
    """Names accepted by :func:`load`, sorted.

    Examples
    --------
    >>> "chinchilla_epoch" in list_datasets()
    True
    """
    return tuple(sorted(_REGISTRY))


def dataset_info(name: str) -> DatasetInfo:
    """Description, citation, licence and source files of data set ``name``.

    Raises
    ------
    DataError
        If ``name`` is unknown.
    """
    info = _REGISTRY.get(name)
    if info is None:
        raise DataError(f"`name` of datasets.load must be one of {list(list_datasets())}. Got {name!r} instead.")
    return info


def load(
    name: str,
    *,
    data_dir: str | Path | None = None,
    cache_dir: str | Path | None = None,
    download: bool = True,
) -> pl.DataFrame:
    """Load data set ``name`` as a tidy polars DataFrame.

    Parameters
    ----------
    name
        One of :func:`list_datasets`.
    data_dir
        Folder holding ``<folder>/<file>`` for each data set; default ``$SCALINGLAWS_DATA_DIR``. When set,
        nothing is downloaded.
    cache_dir
        Download cache; default ``$SCALINGLAWS_CACHE_DIR``, else ``$XDG_CACHE_HOME/scalinglaws``, else
        ``~/.cache/scalinglaws``.
    download
        Allow downloading missing files into the cache (only without a data folder).

    Returns
    -------
    polars.DataFrame
        The tidy table described by ``dataset_info(name).description``.

    Raises
    ------
    DataError
        If ``name`` is unknown, a file is missing from the data folder, the data set has no public
        download (local-only) and no data folder is set, a download fails, or a checksum does not match.
    """
    info = dataset_info(name)
    root = data_dir if data_dir is not None else os.environ.get(DATA_DIR_ENV) or None
    if root is not None:
        files = {f.path: _local_file(info, f, Path(root)) for f in info.files}
    else:
        cache = _cache_root(cache_dir) / info.folder
        files = {f.path: _cached_file(info, f, cache, download) for f in info.files}
    try:
        return info.build(files)
    except DataError:
        raise
    except (pl.exceptions.PolarsError, OSError, ValueError) as exc:
        raise DataError(f"datasets.load({name!r}): could not build the table: {exc}") from exc


def _local_file(info: DatasetInfo, source: SourceFile, root: Path) -> Path:
    path = root / info.folder / source.path
    if not path.is_file():
        raise DataError(
            f"datasets.load({info.name!r}): no file {source.path!r} in {str(root / info.folder)!r} "
            f"(data folder from `data_dir` or ${DATA_DIR_ENV}). Point it at the folder that holds "
            f"{info.folder!r}, or unset it to download from the public source."
        )
    if source.sha256 is not None:
        _verify(path, source.sha256, f"datasets.load({info.name!r}): local file {str(path)!r}",
                "the local copy differs from the published file; restore it from the source")
    return path


def _cache_root(cache_dir: str | Path | None) -> Path:
    if cache_dir is not None:
        return Path(cache_dir)
    env = os.environ.get(CACHE_DIR_ENV)
    if env:
        return Path(env)
    xdg = os.environ.get("XDG_CACHE_HOME")
    return (Path(xdg) if xdg else Path.home() / ".cache") / "scalinglaws"


def _cached_file(info: DatasetInfo, source: SourceFile, cache: Path, download: bool) -> Path:
    if source.url is None or source.sha256 is None:
        raise DataError(
            f"datasets.load({info.name!r}) is available only from a local copy ({source.path!r} is a "
            f"curated file with no public download). Set ${DATA_DIR_ENV} or `data_dir` to the folder "
            f"that holds {info.folder!r}."
        )
    path = cache / source.path
    if path.is_file():
        _verify(path, source.sha256, f"datasets.load({info.name!r}): cached file {str(path)!r}",
                "delete it to download it again")
        return path
    if not download:
        raise DataError(f"datasets.load({info.name!r}): {str(path)!r} is not cached and `download=False`.")
    try:
        data = _fetch(source.url)
    except (OSError, ValueError) as exc:
        raise DataError(
            f"datasets.load({info.name!r}): could not download {source.url}: {exc}. Check the network, or "
            f"set ${DATA_DIR_ENV} to a local copy."
        ) from exc
    digest = hashlib.sha256(data).hexdigest()
    if digest != source.sha256:
        raise DataError(
            f"datasets.load({info.name!r}): the file downloaded from {source.url} has sha256 {digest}, "
            f"expected {source.sha256}. Nothing was cached. The source may have changed; report it."
        )
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=path.name, suffix=".part")
    try:
        with os.fdopen(fd, "wb") as fh:
            fh.write(data)
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise
    return path


def _fetch(url: str) -> bytes:
    """Download ``url`` (http(s) or file://)."""
    with urllib.request.urlopen(url, timeout=_TIMEOUT) as response:
        data: bytes = response.read()
    return data


def _verify(path: Path, expected: str, what: str, fix: str) -> None:
    digest = hashlib.sha256(path.read_bytes()).hexdigest()
    if digest != expected:
        raise DataError(f"{what} has sha256 {digest}, expected {expected}; {fix}.")
