"""Ground-truth arithmetic the lab tests compare against (independent of the code under test)."""

from __future__ import annotations

from math import comb


def binomial_interval(n: int, p: float, confidence: float = 0.99) -> tuple[float, float]:
    """Central `confidence` interval of k/n for k ~ Binomial(n, p), from the exact CDF."""
    tail = (1 - confidence) / 2
    cdf, low, high = 0.0, None, n
    for k in range(n + 1):
        cdf += comb(n, k) * p**k * (1 - p) ** (n - k)
        if low is None and cdf >= tail:
            low = k
        if cdf >= 1 - tail:
            high = k
            break
    return (low or 0) / n, high / n
