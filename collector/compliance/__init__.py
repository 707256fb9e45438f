"""The compliance engine: per-test judgement, daily rollups, quarter indicators, evidence."""
