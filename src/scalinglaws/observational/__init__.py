"""Observational scaling laws (Ruan et al. 2024): capabilities from public models' benchmark scores.

``scalinglaws.observational.fit(scores, benchmarks=[...], n_components=3, target=..., cutoff=...)``
imputes missing scores, takes the principal components of the scores as capabilities, fits them
log-linearly in compute within each model family, and links them to a target benchmark by a sigmoid,
with the holdout above a compute cut. See :mod:`scalinglaws.observational.model`.
"""

from scalinglaws.observational.model import ObservationalResult, family_fits, fit, link_law
from scalinglaws.observational.pca import Components, Imputer, pca_impute, principal_components

__all__ = [
    "Components",
    "Imputer",
    "ObservationalResult",
    "family_fits",
    "fit",
    "link_law",
    "pca_impute",
    "principal_components",
]
