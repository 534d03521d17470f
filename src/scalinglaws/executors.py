"""Where chunks of work run: in this process, or as Ray tasks on a cluster.

The engine cuts its big jobs into chunks whose results do not depend on where, when or in which order
they run: the groups of a grouped fit (a batch of groups per chunk), the resamples of a bootstrap, the
splits of a backtest, the laws of a selection. An executor runs ``function(context, chunk)`` for every
chunk and returns the results in chunk order, so a job gives the same bytes on one core and on a
cluster. Where a job runs is not part of what it computes: it is not in :class:`~scalinglaws.fit.FitConfig`
and not in the result.

The interface (for any code that has many independent pieces of work, e.g. a search over law forms)::

    from scalinglaws.executors import executor_for

    executor = executor_for("ray")           # or "local", "ray://HOST:PORT", an executor, or None
    results = executor.map(score_one, candidates, context=table, names=[...], label="laws")

Rules for the code that calls :meth:`AbstractExecutor.map`:

- ``function`` is a module-level function (a worker imports it by name; a lambda or a closure would
  be shipped by value and its module's globals with it). It is called as ``function(context, chunk)``.
- ``context`` is whatever every chunk needs (the data, the law, the settings). It is sent to the
  cluster once and shared by all chunks (NumPy arrays without copies), so keep the chunks themselves
  small: indices, slices, names.
- A chunk's result depends on nothing but ``context`` and the chunk. Randomness is drawn centrally
  before the map, or from a generator seeded by the job's seed and the chunk's *index*
  (``np.random.default_rng([seed, index])``), never by a worker, a process or the time.
- Cut the work the same way whatever the executor and the size of the cluster (so a local run and a
  cluster run do exactly the same arithmetic), and combine the results in chunk order.

Executors:

- :class:`LocalExecutor` runs the chunks one after the other in this process (the reference: a cluster
  must give its bytes).
- :class:`RayExecutor` submits every chunk as a Ray task (``pip install "scalinglaws[ray]"``). A task
  whose worker dies (killed, out of memory, its node lost) is retried by Ray (``max_retries``); a chunk
  that raises is not retried (it would raise again).

Both report progress as chunks finish (``progress(finished, total, label)``) and raise
:class:`~scalinglaws.errors.ChunkError` naming the chunk that failed, with the results of every chunk
that finished in its ``finished``.
"""

from __future__ import annotations

import abc
import importlib.util
import time
from collections.abc import Callable, Mapping, Sequence
from typing import Any, TypeVar

from scalinglaws.errors import ArgumentError, ChunkError, ExecutorError

__all__ = [
    "AbstractExecutor",
    "LocalExecutor",
    "Progress",
    "RayExecutor",
    "executor_for",
    "run_chunks",
]

C = TypeVar("C")
T = TypeVar("T")
R = TypeVar("R")

Progress = Callable[[int, int, str], None]
"""``progress(finished, total, label)``: called with 0 before the first chunk and after every chunk."""


class AbstractExecutor(abc.ABC):
    """Runs ``function(context, chunk)`` for every chunk; subclasses decide where."""

    progress: Progress | None = None

    @abc.abstractmethod
    def map(
        self,
        function: Callable[[C, T], R],
        chunks: Sequence[T],
        context: C = None,  # type: ignore[assignment]
        *,
        names: Sequence[str] | None = None,
        label: str = "chunks",
    ) -> list[R]:
        """``[function(context, chunk) for chunk in chunks]``, in chunk order.

        Parameters
        ----------
        names
            What each chunk holds (``"groups 64-95"``), for progress and errors; ``"chunk i"`` by default.
        label
            What the chunks are part of (``"grouped fit"``), for progress and errors.

        Raises
        ------
        ChunkError
            If a chunk raised: its index, name and exception, and the results of the chunks that
            finished.
        ExecutorError
            If the executor cannot run anything (the cluster unreachable).
        """

    def _report(self, finished: int, total: int, label: str) -> None:
        if self.progress is not None:
            self.progress(finished, total, label)


def _names(names: Sequence[str] | None, n: int) -> list[str]:
    if names is None:
        return [f"chunk {i}" for i in range(n)]
    if len(names) != n:
        raise ArgumentError(
            f"`names` of map must name every chunk: {n} chunk(s), {len(names)} name(s).",
            argument="names", function="map",
        )
    return list(names)


def _failure(
    label: str, names: list[str], failures: Sequence[tuple[int, BaseException]], finished: dict[int, Any]
) -> ChunkError:
    """The error for the failed chunks (the first by index named in full, the others counted)."""
    failures = sorted(failures, key=lambda f: f[0])
    index, cause = failures[0]
    others = ""
    if len(failures) > 1:
        others = f" ({len(failures) - 1} more failed: {', '.join(names[i] for i, _ in failures[1:6])})"
    message = (
        f"chunk {index} of {len(names)} ({names[index]}) of the {label} failed: "
        f"{type(cause).__name__}: {cause}{others}. {len(finished)} chunk(s) finished; their results are "
        "kept in the error's `finished`."
    )
    error = ChunkError(message, index=index, name=names[index], cause=cause, finished=finished)
    error.__cause__ = cause
    return error


class LocalExecutor(AbstractExecutor):
    """Runs the chunks one after the other in this process; stops at the first that raises."""

    def __init__(self, *, progress: Progress | None = None) -> None:
        self.progress = progress

    def __repr__(self) -> str:
        return "LocalExecutor()"

    def map(
        self,
        function: Callable[[C, T], R],
        chunks: Sequence[T],
        context: C = None,  # type: ignore[assignment]
        *,
        names: Sequence[str] | None = None,
        label: str = "chunks",
    ) -> list[R]:
        labels = _names(names, len(chunks))
        finished: dict[int, Any] = {}
        self._report(0, len(chunks), label)
        for i, chunk in enumerate(chunks):
            try:
                finished[i] = function(context, chunk)
            except Exception as exc:
                raise _failure(label, labels, [(i, exc)], finished) from exc
            self._report(i + 1, len(chunks), label)
        return [finished[i] for i in range(len(chunks))]


RAY_EXTRA = 'pip install "scalinglaws[ray]"'
CONNECT_ATTEMPTS = 2
"""Tries of ``ray.init`` when Ray Client's head fails to start the connection's server process."""


def _apply(function: Callable[[C, T], R], context: C, chunk: T) -> R:
    """The Ray task: one chunk (any callable, not only a function, can be the work)."""
    return function(context, chunk)


def _ray_missing() -> ImportError:
    return ImportError(f"the Ray executor needs Ray, which is not installed. Install it with `{RAY_EXTRA}`.")


def _import_ray() -> Any:
    try:
        import ray
    except ImportError as exc:
        raise _ray_missing() from exc
    return ray


class RayExecutor(AbstractExecutor):
    """Runs every chunk as a Ray task, on the cluster this process is connected to.

    Parameters
    ----------
    address
        The cluster: None to use the connection this process already has, else to start a local
        cluster (or join the one the ``RAY_ADDRESS`` environment variable names; Ray's own rule);
        ``"ray://HOST:PORT"`` for a remote cluster through Ray Client (port 10001 by default); a
        ``"HOST:PORT"`` GCS address or ``"auto"`` from a node of the cluster. Connecting is done once,
        on first use; an existing connection is used as it is.
    max_retries
        How often Ray reruns a task whose worker died (killed, out of memory, its node lost). A
        chunk that raises is not retried.
    num_cpus
        CPUs Ray reserves per task (the engine's kernels are single-threaded NumPy).
    runtime_env
        Ray's runtime environment for the job when this executor connects (e.g.
        ``{"pip": ["scalinglaws[ray]==0.1.0"]}`` for workers that lack it).
    progress
        Called as chunks finish, anywhere on the cluster.

    Raises
    ------
    ImportError
        If Ray is not installed (``pip install "scalinglaws[ray]"``).
    ArgumentError
        If ``max_retries`` or ``num_cpus`` is out of range.
    """

    def __init__(
        self,
        address: str | None = None,
        *,
        max_retries: int = 3,
        num_cpus: float = 1.0,
        runtime_env: Mapping[str, Any] | None = None,
        progress: Progress | None = None,
    ) -> None:
        retries: object = max_retries
        if not isinstance(retries, int) or max_retries < 0:
            raise ArgumentError(
                f"`max_retries` of RayExecutor must be an integer >= 0. Got {max_retries!r} instead.",
                argument="max_retries", function="RayExecutor", rule="an integer >= 0", value=max_retries,
            )
        if not num_cpus > 0:
            raise ArgumentError(
                f"`num_cpus` of RayExecutor must be > 0. Got {num_cpus!r} instead.",
                argument="num_cpus", function="RayExecutor", rule="> 0", value=num_cpus,
            )
        if importlib.util.find_spec("ray") is None:  # fail here, before any work, without importing Ray
            raise _ray_missing()
        self.address = address
        self.max_retries = max_retries
        self.num_cpus = num_cpus
        self.runtime_env = dict(runtime_env) if runtime_env is not None else None
        self.progress = progress

    def __repr__(self) -> str:
        return f"RayExecutor(address={self.address!r})"

    def connect(self) -> Any:
        """The ``ray`` module, connected to the cluster (connecting on first use).

        Raises
        ------
        ImportError
            If Ray is not installed (``pip install "scalinglaws[ray]"``).
        ExecutorError
            If the cluster cannot be reached.
        """
        ray = _import_ray()
        if ray.is_initialized():
            return ray
        options: dict[str, Any] = {}
        if self.runtime_env is not None:
            options["runtime_env"] = self.runtime_env
        if not (self.address or "").startswith("ray://"):
            # Workers' output goes to their log files; this process's stdout carries results only.
            options["log_to_driver"] = False
        for attempt in range(CONNECT_ATTEMPTS):
            try:
                ray.init(address=self.address, **options)
                break
            except (ConnectionError, RuntimeError, ValueError, TimeoutError) as exc:
                # Ray Client's head starts one server process per connection; on a busy head it can
                # die while starting ("Starting Ray client server failed", a ConnectionAbortedError
                # here). Ray disconnects a failed client, so another try gets a new server.
                if attempt + 1 < CONNECT_ATTEMPTS and "client server failed" in str(exc):
                    time.sleep(1.0)
                    continue
                raise self._unreachable(exc) from exc
        return ray

    def _unreachable(self, exc: Exception) -> ExecutorError:
        where = "a local cluster" if self.address is None else f"the Ray cluster at {self.address!r}"
        return ExecutorError(
            f"could not connect to {where}: {type(exc).__name__}: {str(exc).rstrip('.')}. Check the "
            "address (Ray Client: ray://HOST:10001; from a cluster node: HOST:6379 or 'auto') and that "
            "the cluster is up (`ray status`)."
        )

    def map(
        self,
        function: Callable[[C, T], R],
        chunks: Sequence[T],
        context: C = None,  # type: ignore[assignment]
        *,
        names: Sequence[str] | None = None,
        label: str = "chunks",
    ) -> list[R]:
        labels = _names(names, len(chunks))
        ray = self.connect()
        from ray.exceptions import RayError, RayTaskError

        task = ray.remote(_apply)
        options = {"num_cpus": self.num_cpus, "max_retries": self.max_retries, "retry_exceptions": False}
        function_ref, context_ref = ray.put(function), ray.put(context)  # sent once, shared by every task
        pending = {
            task.options(name=f"scalinglaws {label}: {name}", **options).remote(function_ref, context_ref, chunk): i
            for i, (chunk, name) in enumerate(zip(chunks, labels, strict=True))
        }
        finished: dict[int, Any] = {}
        failures: list[tuple[int, BaseException]] = []
        self._report(0, len(chunks), label)
        try:
            while pending:
                ready, _ = ray.wait(list(pending), num_returns=1)
                for ref in ready:
                    i = pending.pop(ref)
                    try:
                        finished[i] = ray.get(ref)
                    except RayTaskError as exc:  # the chunk raised: its own exception
                        cause = getattr(exc, "cause", None)
                        failures.append((i, cause if isinstance(cause, BaseException) else exc))
                    except RayError as exc:  # the worker died more often than it was retried
                        failures.append((i, ExecutorError(
                            f"its task was lost after {self.max_retries} retries ({type(exc).__name__}: {exc})"
                        )))
                    self._report(len(finished) + len(failures), len(chunks), label)
        finally:
            for ref in pending:  # interrupted: stop what is still queued or running
                ray.cancel(ref)
        if failures:
            raise _failure(label, labels, failures, finished)
        return [finished[i] for i in range(len(chunks))]


def run_chunks(
    executor: AbstractExecutor | None,
    function: Callable[[C, T], R],
    chunks: Sequence[T],
    context: C,
    names: Sequence[str],
    label: str,
    progress: Callable[[int, int], None] | None = None,
) -> list[R]:
    """``executor.map(...)``, or without an executor the same chunks one after the other, inline.

    For code whose chunks are part of its algorithm: the work is cut the same way with or without an
    executor, so both do the same arithmetic. Inline, ``progress(done, n_chunks)`` is called after
    each chunk; an executor reports its chunks through its own ``progress``.
    """
    if executor is not None:
        return executor.map(function, chunks, context, names=names, label=label)
    results = []
    for done, chunk in enumerate(chunks, start=1):
        results.append(function(context, chunk))
        if progress is not None:
            progress(done, len(chunks))
    return results


def executor_for(
    executor: str | AbstractExecutor | None,
    address: str | None = None,
    *,
    function: str = "fit",
    progress: Progress | None = None,
) -> AbstractExecutor | None:
    """The executor named by ``executor`` and ``address`` (None: the caller runs the chunks itself).

    ``executor`` is ``"local"``, ``"ray"`` (a local Ray cluster, or the one ``address`` names),
    ``"ray://HOST:PORT"`` (Ray Client), or an executor (which keeps its own ``progress``); ``address``
    alone means ``"ray"``. ``progress`` goes to an executor made here.

    Raises
    ------
    ArgumentError
        If ``executor`` names no executor, or ``address`` is given with one that takes none.
    """
    spec: object = executor
    if spec is None:
        return None if address is None else RayExecutor(address, progress=progress)
    if isinstance(spec, AbstractExecutor) or spec == "local" or (isinstance(spec, str) and spec.startswith("ray://")):
        if address is not None and address != spec:
            raise ArgumentError(
                f"`address` of {function} goes with executor='ray' only. Got executor={spec!r}, "
                f"address={address!r}. Pass one of them.",
                argument="address", function=function,
            )
        if isinstance(spec, AbstractExecutor):
            return spec
        return LocalExecutor(progress=progress) if spec == "local" else RayExecutor(str(spec), progress=progress)
    if spec == "ray":
        return RayExecutor(address, progress=progress)
    raise ArgumentError(
        f"`executor` of {function} must be 'local', 'ray', 'ray://HOST:PORT' or an executor. "
        f"Got {spec!r} instead.",
        argument="executor", function=function, rule="'local', 'ray', 'ray://HOST:PORT' or an executor",
        value=spec,
    )
