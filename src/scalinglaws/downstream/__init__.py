"""Downstream metrics: two-step predictions (N, D) -> loss -> metric, with both steps' uncertainty.

- :func:`chain` joins a loss fit and a metric-from-loss fit into a :class:`Chain`, whose intervals carry
  the first step's uncertainty through the second (joint bootstrap).
- :class:`Logit` and :func:`logit_target`: fit a bounded metric in logit space (law ``logit_linear``)
  and predict the metric itself.

The links themselves are catalog laws: ``bhagia_sigmoid`` (sigmoid with floor and ceiling),
``logit_linear`` (the same in logit space) and ``gadre_downstream`` (exponential of the loss).
"""

from scalinglaws.downstream.chained import Chain, chain, is_chain_dict
from scalinglaws.downstream.links import Logit, logit_target

__all__ = ["Chain", "Logit", "chain", "is_chain_dict", "logit_target"]
