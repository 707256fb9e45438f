"""The operator's fleet tools (`netq fleet …`): the probes' test plans, checked with the
probers' own parameters and applied to the collector's store."""
