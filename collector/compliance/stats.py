"""Intervals for the figures, with the connection as the unit of sampling.

Packets of one session and minutes of one line move together, so a figure pooled over them is
a ratio of two sums over connections, and its variance comes from the spread between
connections (the ratio estimator's linearised variance, as in cluster sampling), with
Student's t on connections − 1 degrees of freedom:

- a share: Korn and Graubard's interval (1998), Wilson's score interval on the effective
  sample size p(1 − p) / variance (never more than the records themselves), so that it stays
  within 0–100 % and is lopsided near the edges as a skewed fleet is;
- a mean (the round trip): the ratio × exp(± t × its relative standard error), the interval
  of its logarithm (delta method), so that it stays above zero as a delay does.

Records of the operator's own (contracts, calls, tickets) are independent of one another:
Wilson's interval over them.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from statistics import NormalDist

Z95 = 1.959963984540054  # two-sided 95 % normal quantile


def t95(df: int) -> float:
    """Two-sided 95 % quantile of Student's t: exact for 1 and 2 degrees of freedom, the
    Cornish–Fisher expansion (Abramowitz & Stegun 26.7.5) beyond: 0.004 off at 3, under
    0.001 from 5 up."""
    if df < 1:
        raise ValueError("t needs at least one degree of freedom")
    if df == 1:
        return math.tan(math.pi * 0.475)
    if df == 2:
        return 0.95 / math.sqrt(2 * 0.975 * 0.025)
    z = NormalDist().inv_cdf(0.975)
    return (z + (z**3 + z) / (4 * df) + (5 * z**5 + 16 * z**3 + 3 * z) / (96 * df**2)
            + (3 * z**7 + 19 * z**5 + 17 * z**3 - 15 * z) / (384 * df**3)
            + (79 * z**9 + 776 * z**7 + 1482 * z**5 - 1920 * z**3 - 945 * z) / (92160 * df**4))


def wilson(successes: float, n: float, z: float = Z95) -> tuple[float, float] | None:
    """95 % Wilson score interval of a proportion, as fractions; None without a sample."""
    if n <= 0:
        return None
    p = successes / n
    centre = p + z * z / (2 * n)
    spread = z * math.sqrt(p * (1 - p) / n + z * z / (4 * n * n))
    scale = 1 + z * z / n
    # at 0 of n (n of n) the bound is 0 (1) exactly; rounding would leave a speck
    low = 0.0 if successes <= 0 else max(0.0, (centre - spread) / scale)
    high = 1.0 if successes >= n else min(1.0, (centre + spread) / scale)
    return low, high


def ratio_variance(pairs: Sequence[tuple[float, float]]) -> tuple[float, float, int] | None:
    """Σk / Σn over clusters (k, n) with n > 0, its linearised variance, and the number of
    clusters; None below two clusters."""
    used = [(k, n) for k, n in pairs if n > 0]
    m = len(used)
    if m < 2:
        return None
    total_n = sum(n for _, n in used)
    ratio = sum(k for k, _ in used) / total_n
    residuals = sum((k - ratio * n) ** 2 for k, n in used)
    return ratio, m / (m - 1) * residuals / total_n**2, m


def clustered_share_interval(pairs: Sequence[tuple[float, float]],
                             ) -> tuple[float, float] | None:
    """95 % interval of the share Σk / Σn, the clusters (connections) the unit of sampling."""
    found = ratio_variance(pairs)
    if found is None:
        return None
    share, variance, m = found
    n = sum(n for _, n in pairs if n > 0)
    effective = n if variance <= 0 or share in (0.0, 1.0) else \
        min(n, share * (1 - share) / variance)
    return wilson(share * effective, effective, t95(m - 1))


def ratio_interval(pairs: Sequence[tuple[float, float]]) -> tuple[float, float] | None:
    """95 % interval of the positive mean Σk / Σn, the clusters (connections) the unit of
    sampling: on the log scale, so that it never reaches below zero."""
    found = ratio_variance(pairs)
    if found is None:
        return None
    ratio, variance, m = found
    if ratio <= 0:
        return 0.0, 0.0
    half = t95(m - 1) * math.sqrt(variance) / ratio
    return ratio * math.exp(-half), ratio * math.exp(half)


def mean_interval(values: Sequence[float], bounds: tuple[float, float | None] = (0.0, None),
                  ) -> tuple[float, float] | None:
    """95 % t interval of the mean of independent values (one per connection), cut to the
    values' range (`bounds`: low, high or None); None below two values."""
    n = len(values)
    if n < 2:
        return None
    mean = sum(values) / n
    variance = sum((v - mean) ** 2 for v in values) / (n - 1)
    half = t95(n - 1) * math.sqrt(variance / n)
    low, high = max(bounds[0], mean - half), mean + half
    return low, high if bounds[1] is None else min(bounds[1], high)
