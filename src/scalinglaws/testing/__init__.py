"""Helpers for testing code that uses scalinglaws: planted-law data generators."""

from scalinglaws.testing.scores import synthetic_scores
from scalinglaws.testing.synthetic import PLANTED, synthetic_runs

__all__ = ["PLANTED", "synthetic_runs", "synthetic_scores"]
