"""Which kernels evaluate and solve a fit: NumPy (the default) or JAX.

The backend swaps kernels, not the pipeline. With ``backend="jax"`` the batched objective, its
derivatives (gradient, exact and Gauss-Newton Hessians) and the batched Levenberg-Marquardt polish run
as jitted JAX functions in float64 (:mod:`scalinglaws.fit._jax`); the gate, the start strategy, the
multistart, the status, the covariance and the result are the same code for both backends, so both
give the same :class:`~scalinglaws.fit.result.FitResult` (objectives equal to rounding).
"""

from __future__ import annotations

from typing import Literal

JAX_EXTRA = "pip install 'scalinglaws[jax]'"
"""The command that installs what the JAX backend needs."""

Backend = Literal["numpy", "jax"]
"""The kernels of a fit: NumPy, or JAX (``pip install 'scalinglaws[jax]'``; runs on a GPU where JAX sees one)."""

__all__ = ["JAX_EXTRA", "Backend", "require_backend"]


def require_backend(backend: Backend) -> None:
    """Check that the kernels of ``backend`` can run here.

    Raises
    ------
    ImportError
        If ``backend`` is ``"jax"`` and jax is not installed (``pip install 'scalinglaws[jax]'``).
    """
    if backend == "jax":
        from scalinglaws.laws._jax import require_jax

        require_jax()
