"""Many small linear systems at once, and the damped (Levenberg-Marquardt) steps made from them.

The grid solves one k x k system per cell (k linear parameters, k <= a handful) and a grouped fit one per
group. LAPACK's batched solve loops over the matrices in C at about a microsecond each; elimination
vectorised across the batch does each of its k**3 steps for all systems in one NumPy operation, which is
tens of times faster for large batches of small symmetric positive definite systems (the normal
equations here, always with a ridge on the diagonal).
"""

from __future__ import annotations

import numpy as np

_VECTORISED_FROM = 64
"""Batches smaller than this go to LAPACK (its per-call overhead is then negligible)."""
_LARGEST = 8
"""Systems larger than this go to LAPACK (k**3 NumPy steps stop paying off)."""


def solve_spd(a: np.ndarray, b: np.ndarray) -> np.ndarray:
    """``a^-1 b`` for a batch of symmetric positive definite ``a`` ``(N, k, k)`` and ``b`` ``(N, k)`` or
    ``(N, k, m)``. Singular or non-finite systems give non-finite rows, never an exception."""
    n, k = a.shape[0], a.shape[-1]
    vector = b.ndim == 2
    rhs = b[..., None] if vector else b
    if n < _VECTORISED_FROM or k > _LARGEST:
        out = solve_batch(a, rhs)
        return out[..., 0] if vector else out
    m = a.astype(float, copy=True)
    r = rhs.astype(float, copy=True)
    with np.errstate(all="ignore"):
        for i in range(k):  # forward elimination (no pivoting: the matrices are positive definite)
            pivot = m[:, i, i]
            factor = m[:, i + 1 :, i] / pivot[:, None]
            m[:, i + 1 :, i:] -= factor[:, :, None] * m[:, None, i, i:]
            r[:, i + 1 :] -= factor[:, :, None] * r[:, None, i]
        x = np.empty_like(r)
        for i in range(k - 1, -1, -1):
            tail = np.einsum("nj,njm->nm", m[:, i, i + 1 :], x[:, i + 1 :]) if i + 1 < k else 0.0
            x[:, i] = (r[:, i] - tail) / m[:, i, i][:, None]
    return x[..., 0] if vector else x


def solve_batch(a: np.ndarray, b: np.ndarray) -> np.ndarray:
    """``a^-1 b`` for a batch of square ``a`` ``(N, k, k)`` and ``b`` ``(N, k, m)`` by LAPACK, never an
    exception: when an entry is exactly singular (a Gauss-Newton step on a flat ridge) every entry is
    solved by least squares instead, and an entry with a value that is not finite (a trial step that
    left the law's domain) gives NaN, where LAPACK's SVD would raise for the whole batch."""
    with np.errstate(all="ignore"):
        try:
            return np.linalg.solve(a, b)
        except np.linalg.LinAlgError:
            out = np.full((b.shape[0], a.shape[-1], *b.shape[2:]), np.nan)
            finite = np.all(np.isfinite(a), axis=(1, 2)) & np.all(np.isfinite(b.reshape(b.shape[0], -1)), axis=1)
            for i in np.flatnonzero(finite):
                out[i] = np.linalg.lstsq(a[i], b[i], rcond=None)[0]
            return out


def damped_steps(
    grad: np.ndarray, hess: np.ndarray, damping: np.ndarray, free: np.ndarray, lam: np.ndarray
) -> np.ndarray:
    """Solve ``(H + lam*diag(D)) step = -grad`` on the free parameters, zero on the others.

    ``D`` is the diagonal of a positive semi-definite Hessian; it also scales the parameters, so the
    step does not depend on their units.
    """
    scale = np.where(free & (damping > 0), np.sqrt(np.maximum(damping, 1e-300)), 1.0)
    h = hess / scale[:, :, None] / scale[:, None, :]
    g = grad / scale
    h = np.where(free[:, :, None] & free[:, None, :], h, 0.0)
    eye = np.eye(h.shape[-1])
    h = h + eye * (lam[:, None, None] * free[:, None, :] + (~free)[:, None, :]) + 1e-14 * eye
    rhs = -np.where(free, g, 0.0)[..., None]
    step = solve_batch(h, rhs)[..., 0]
    return np.where(free, step / scale, 0.0)
