"""Robust losses as pure functions of residuals: value ``rho``, slope ``psi`` and IRLS weight ``psi/r``."""

from __future__ import annotations

from typing import Literal

import numpy as np

Loss = Literal["squared", "huber"]
Space = Literal["log", "linear"]


def rho(r: np.ndarray, loss: Loss, delta: float) -> np.ndarray:
    """Loss of each residual: ``r**2/2``, or Huber's ``r**2/2`` inside ``delta`` and linear outside."""
    if loss == "squared":
        return 0.5 * r * r
    a = np.abs(r)
    out = a - 0.5 * delta
    out *= delta
    quadratic = a <= delta
    np.multiply(0.5 * r, r, out=out, where=quadratic)
    return out


def psi(r: np.ndarray, loss: Loss, delta: float) -> np.ndarray:
    """Derivative of ``rho``."""
    if loss == "squared":
        return r
    return np.clip(r, -delta, delta)


def psi_slope(r: np.ndarray, loss: Loss, delta: float) -> np.ndarray:
    """Second derivative of ``rho``: 1, or 0 in Huber's linear region."""
    if loss == "squared":
        return np.ones_like(r)
    return (np.abs(r) <= delta).astype(float)


def irls_weight(r: np.ndarray, loss: Loss, delta: float) -> np.ndarray:
    """``psi(r) / r``: 1 in the quadratic region, ``delta/|r|`` in Huber's linear region."""
    if loss == "squared":
        return np.ones_like(r)
    return delta / np.maximum(np.abs(r), delta)  # 1 inside delta (delta / delta), delta/|r| outside


def side_weight(r: np.ndarray, asymmetry: float) -> np.ndarray:
    """Extra weight ``asymmetry`` on over-predictions (``r > 0``), as OLMo-core penalises them."""
    if asymmetry == 1.0:
        return np.ones_like(r)
    return np.where(r > 0, asymmetry, 1.0)
