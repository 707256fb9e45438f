"""A test kind is described once: its name in `record.Kind`, its prober in
probe/probers/KIND.py, its metrics in the record schema. These checks hold the three together."""

from __future__ import annotations

import json
import re
from pathlib import Path
from typing import get_args

import pytest
from prometheus_client import CollectorRegistry

from netq.probe.probers import PROBERS, Prober, ProberParams
from netq.record import KINDS, Exclusion, schema_text

SCHEMA = json.loads(schema_text())
ROOT = Path(__file__).parent.parent


def test_the_schema_knows_exactly_the_kinds_of_the_table() -> None:
    assert tuple(SCHEMA["properties"]["kind"]["enum"]) == KINDS
    branches = {(b["if"]["properties"]["kind"]["const"], "const" in b["if"]["properties"]
                 ["exclusion"]) for b in SCHEMA["allOf"]}
    assert branches == {(kind, failed) for kind in KINDS for failed in (False, True)}


def test_the_schema_knows_exactly_the_exclusions_of_the_record() -> None:
    assert SCHEMA["properties"]["exclusion"]["enum"] == [None, *get_args(Exclusion)]


@pytest.mark.parametrize("kind", KINDS)
def test_every_kind_has_its_prober_and_its_metrics(kind: str) -> None:
    prober = PROBERS[kind]
    assert isinstance(prober, Prober)
    assert issubclass(prober.params, ProberParams)
    assert prober.summary, f"probe/probers/{kind}.py needs a docstring: it is the CLI's help"
    facts = SCHEMA["$defs"][kind]
    assert facts["x-longest-test-s"] > 0  # the collector refuses longer records of the kind
    # a metric of a newer probe is kept only as a scalar with a plain name (the schema's
    # newer_metric, metric_name): nothing else passes unknown
    assert facts["additionalProperties"] == {"$ref": "#/$defs/newer_metric"}
    assert facts["propertyNames"] == {"$ref": "#/$defs/metric_name"}
    assert prober.example, f"probe/probers/{kind}.py: PROBER needs an example for --help"
    observe = prober.observer(CollectorRegistry())
    assert callable(observe)


def test_no_code_outside_the_probers_names_a_kind() -> None:
    """The daemon, the probe's config and metrics learn what they need from the prober."""
    pattern = re.compile(r"""["'](""" + "|".join(KINDS) + r""")["']""")
    for path in ("probe/daemon.py", "probe/config.py", "probe/metrics.py", "probe/runner.py",
                 "probe/intervals.py"):
        found = pattern.findall((ROOT / path).read_text("utf-8"))
        assert not found, f"{path} names {found}"
