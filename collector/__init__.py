"""The netq collector: takes probe results, keeps them, judges them (issue 3 onwards)."""
