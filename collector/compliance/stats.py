"""Intervals for the figures: Wilson for shares, the normal approximation for means."""

from __future__ import annotations

import math

Z95 = 1.959963984540054  # two-sided 95 % normal quantile


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


def mean_interval(total: float, total_squares: float, n: float,
                  z: float = Z95) -> tuple[float, float] | None:
    """95 % interval of a mean from its sums (normal approximation); None below two values."""
    if n < 2:
        return None
    mean = total / n
    variance = max(0.0, (total_squares - total * total / n) / (n - 1))
    half = z * math.sqrt(variance / n)
    return mean - half, mean + half
