"""Data-mixture laws: Ye et al.'s per-domain data mixing law for 2, 3 and 5 training domains."""

from __future__ import annotations

import math

from scalinglaws.laws._law import Law
from scalinglaws.laws._spec import ParamSpec


def _ye(n_domains: int) -> Law:
    free = range(1, n_domains)
    exponent = " + ".join(f"t{j}*r{j}" for j in free)
    params = {
        "c": ParamSpec("c", 0.0, math.inf, description="loss floor of the validation domain"),
        "k": ParamSpec(
            "k", 0.0, math.inf,
            description=f"scale: the loss above the floor when trained on domain {n_domains} alone",
        ),
    }
    for j in free:
        params[f"t{j}"] = ParamSpec(
            f"t{j}", -20.0, 20.0, init=(-3.0, 3.0),
            description=f"effect of training domain {j} relative to domain {n_domains} "
            "(negative: more of it lowers this loss)",
        )
    return Law.from_formula(
        f"c + k*exp({exponent})",
        inputs=tuple(f"r{j}" for j in free),
        params=params,
        name=f"ye_mixing{n_domains}",
        description=(
            f"Ye data mixing law over {n_domains} training domains: L_i(r) = c_i + k_i "
            "exp(sum_j t_ij r_j) for one validation domain i. The proportions sum to 1, so the "
            f"last domain's coefficient is folded into k (t_j here is t_ij - t_i{n_domains}) and "
            f"r_{n_domains} = 1 - sum of the others is not an input. Fit one law per validation "
            "domain; the overall loss is the validation-weighted sum. Target: validation loss."
        ),
        reference=(
            "Ye et al. 2024, 'Data Mixing Laws', arXiv:2403.16952 (ICLR 2025); yegcjs/mixinglaws "
            "law.py @ 8ad3e124"
        ),
        conventions={
            f"r{j}": f"proportion of training domain {j} in the mixture, in [0, 1]" for j in free
        },
    )


ye_mixing2 = _ye(2)
ye_mixing3 = _ye(3)
ye_mixing5 = _ye(5)

LAWS = (ye_mixing2, ye_mixing3, ye_mixing5)
