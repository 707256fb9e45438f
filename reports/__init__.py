"""The quarterly public quality report, from the compliance engine's figures."""
