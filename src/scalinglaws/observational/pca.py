"""Principal components of benchmark scores, and the PCA imputation of missing scores.

Array kernels over a matrix of scores (one row per model, one column per benchmark, NaN = missing),
following Ruan et al.'s code (ryoungj/ObsScaling utils/data.py @ 4d6e1e43, ``pca_impute`` and
``perform_pca``): scikit-learn's ``StandardScaler`` and ``PCA`` written out in NumPy.

Imputation (``pca_impute``): standardise each benchmark by the mean and standard deviation of its
observed training scores; start the missing cells at the column mean (0 after standardising); then
repeat: fit a rank-``rank`` PCA to the filled matrix, replace the missing cells by its reconstruction,
until the reconstruction matches the filled matrix to ``tol`` everywhere. Held-out rows are filled the
same way with the training PCA held fixed. Imputed cells are finally clipped to ``score_range`` (the
authors use [0, 1]); observed cells are never changed.

One deliberate difference: the authors stop when the *whole* filled matrix matches its reconstruction
to ``tol``, which the observed cells (off the rank-``rank`` subspace) never do, so their loop always runs
its 1,000 iterations. Here the loop stops when no imputed cell moves by more than ``tol`` (standardised
units) in an iteration: the same fixed point, reached in far fewer iterations.

Principal components: centre (and, with ``standardize``, scale) by the training rows, take the SVD,
keep the first ``n_components``. The sign of a component is arbitrary; here each is oriented so that
its loadings sum to a positive number (a higher capability score goes with higher benchmark scores).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np


@dataclass(frozen=True, eq=False)
class Imputer:
    """What PCA imputation learned from the training rows, to fill held-out rows the same way."""

    mean: np.ndarray
    scale: np.ndarray
    components: np.ndarray
    centre: np.ndarray
    score_range: tuple[float, float] | None
    max_iter: int
    tol: float

    def fill(self, scores: np.ndarray) -> tuple[np.ndarray, int]:
        """``scores`` with missing cells filled (the training PCA held fixed) and the iterations used."""
        missing = np.isnan(scores)
        z = np.where(missing, 0.0, (scores - self.mean) / self.scale)
        iterations = 0
        for iterations in range(1, self.max_iter + 1):  # noqa: B007 (the count is returned)
            rebuilt = (z - self.centre) @ self.components.T @ self.components + self.centre
            moved = np.max(np.abs(rebuilt[missing] - z[missing]), initial=0.0)
            z[missing] = rebuilt[missing]
            if moved < self.tol:
                break
        return self._finish(z, missing, scores), iterations

    def _finish(self, z: np.ndarray, missing: np.ndarray, scores: np.ndarray) -> np.ndarray:
        filled = z * self.scale + self.mean
        if self.score_range is not None:
            filled = np.clip(filled, *self.score_range)
        return np.where(missing, filled, scores)


def _scaler(scores: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Column means and (population) standard deviations of the observed cells, as StandardScaler."""
    mean = np.nanmean(scores, axis=0)
    scale = np.nanstd(scores, axis=0)
    return mean, np.where(scale > 0, scale, 1.0)


def _top_components(matrix: np.ndarray, rank: int) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Column means, the first ``rank`` principal axes (rows) and every component's variance."""
    centre = matrix.mean(axis=0)
    _, singular, axes = np.linalg.svd(matrix - centre, full_matrices=False)
    return centre, axes[:rank], singular**2 / max(matrix.shape[0] - 1, 1)


def pca_impute(
    scores: np.ndarray,
    rank: int = 1,
    score_range: tuple[float, float] | None = (0.0, 1.0),
    max_iter: int = 1000,
    tol: float = 1e-6,
) -> tuple[np.ndarray, Imputer, int]:
    """Fill the missing cells of ``scores`` by iterated rank-``rank`` PCA reconstruction.

    Returns the filled matrix, the :class:`Imputer` that fills other rows the same way, and the number
    of iterations run (``max_iter`` means it stopped without meeting ``tol``).
    """
    missing = np.isnan(scores)
    mean, scale = _scaler(scores)
    z = np.where(missing, 0.0, (scores - mean) / scale)
    iterations = 0
    centre, components = np.zeros(scores.shape[1]), np.zeros((rank, scores.shape[1]))
    for iterations in range(1, max_iter + 1):  # noqa: B007 (the count is returned)
        centre, components, _ = _top_components(z, rank)
        rebuilt = (z - centre) @ components.T @ components + centre
        moved = np.max(np.abs(rebuilt[missing] - z[missing]), initial=0.0)
        z[missing] = rebuilt[missing]
        if moved < tol:
            break
    imputer = Imputer(mean, scale, components, centre, score_range, max_iter, tol)
    return imputer._finish(z, missing, scores), imputer, iterations


@dataclass(frozen=True, eq=False)
class Components:
    """Principal axes fitted to the training rows: ``transform`` gives any rows' component scores."""

    mean: np.ndarray
    scale: np.ndarray
    axes: np.ndarray
    explained_variance_ratio: np.ndarray

    def transform(self, scores: np.ndarray) -> np.ndarray:
        return ((scores - self.mean) / self.scale) @ self.axes.T


def principal_components(scores: np.ndarray, n_components: int, standardize: bool) -> Components:
    """The first ``n_components`` principal axes of complete ``scores`` (rows: models).

    ``explained_variance_ratio`` is each kept component's share of the total variance (of every
    component, as scikit-learn's full-SVD ``PCA``).
    """
    mean = scores.mean(axis=0)
    scale = scores.std(axis=0) if standardize else np.ones(scores.shape[1])
    scale = np.where(scale > 0, scale, 1.0)
    _, axes, variance = _top_components((scores - mean) / scale, n_components)
    signs = np.where(axes.sum(axis=1) < 0, -1.0, 1.0)
    return Components(mean, scale, axes * signs[:, None], variance[:n_components] / variance.sum())
