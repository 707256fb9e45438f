"""The fleet's plans file: one YAML file, under the operator's version control, with every
group's tests. Checked whole, with each test parsed by its prober's own parameters (the
probe's config parser, so a plan takes exactly what a probe's file takes); any error names
file, line and key, and nothing of a file with an error is applied.

    poll_every: 5m            # how often probes ask for their plan
    servers:                  # measurement servers whose ports the collector hands out
      speed-minsk: {host: 192.0.2.10, ports: [5201, 5202, 5203, 5204]}
    limits:                   # the probes' own (probe.yaml): a plan outside them is refused
      targets: [192.0.2.0/24] # where tests may send besides the servers
    plans:                    # the first plan a probe's connection matches is its plan
      - name: pon-minsk
        match: {technology: pon, region: [Minsk, Minsk region]}
        tests:
          - {kind: latency, every: 5m, target: 192.0.2.1}
          - {kind: throughput, every: 4h, server: speed-minsk, direction: down,
             peak_share: 0.3}
      - name: everyone        # no match: every other probe
        tests: [...]
"""

from __future__ import annotations

import hashlib
import json
import re
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from pydantic import Field

from netq import plan as wire
from netq import yamlfile
from netq.model import Duration, Strict
from netq.probe.config import Server, parse_test
from netq.probe.envelope import Envelope, Limits
from netq.probe.probers import PROBERS

NAME = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._-]{0,63}$")


class PlansFile(Strict):
    poll_every: Duration = Field(300, ge=1, le=86_400,
                                 description="seconds between a probe's plan requests")
    servers: dict[str, Server] = Field(default_factory=dict)
    # what the probes run whoever asks (their probe.yaml `limits`): a plan outside them is
    # refused here, before any probe refuses it; `limits.targets` besides the servers
    limits: Limits = Field(default_factory=Limits)
    plans: list[dict[str, Any]] = Field(min_length=1, max_length=1024)


@dataclass(frozen=True)
class Checked:
    """A plans file that passed every check: the set to apply, and the file's digest."""

    plan_set: dict[str, Any]
    source_sha256: str

    @property
    def versions(self) -> dict[str, str]:
        return {p["name"]: p["version"] for p in self.plan_set["plans"]}


def _match(document: yamlfile.Document, at: yamlfile.Path_, raw: Any) -> dict[str, list[str]]:
    if raw is None:
        return {}
    if not isinstance(raw, dict) or not raw:
        raise document.error(at, f"a mapping of one or more of {', '.join(wire.MATCH_KEYS)}")
    match = {}
    for key, values in raw.items():
        if key not in wire.MATCH_KEYS:
            raise document.error((*at, key), f"cannot match on {key!r}; on one of "
                                             f"{', '.join(wire.MATCH_KEYS)}")
        listed = values if isinstance(values, list) else [values]
        if not listed or not all(isinstance(v, str | int) and str(v) for v in listed):
            raise document.error((*at, key), "a value or a list of values")
        match[key] = sorted({str(v) for v in listed})
    return match


def _plan(document: yamlfile.Document, at: yamlfile.Path_,
          servers: dict[str, Server], envelope: Envelope) -> dict[str, Any]:
    fields = dict(document.mapping(at))
    name = fields.pop("name", None)
    if not isinstance(name, str) or not NAME.match(name):
        raise document.error((*at, "name"), "a name of letters, digits, '.', '_' or '-', "
                                            "at most 64")
    match = _match(document, (*at, "match"), fields.pop("match", None))
    tests = fields.pop("tests", None)
    if fields:
        raise document.error((*at, sorted(fields)[0]), "not a key of a plan (name, match, tests)")
    if not isinstance(tests, list) or not tests:
        raise document.error((*at, "tests"), "a list of at least one test is required")
    if len(tests) > envelope.limits.tests_max:
        raise document.error((*at, "tests"), f"{len(tests)} tests; a probe runs at most "
                                             f"{envelope.limits.tests_max} (limits.tests_max)")
    named: dict[str, Any] = {}
    holds: dict[str, float] = {}
    for index in range(len(tests)):
        test = parse_test(document, (*at, "tests", index), servers)  # as a probe will
        refusal = envelope.refusal(test.kind, test.params, test.every, tests[index])
        if refusal is not None:
            raise document.error((*at, "tests", index), f"a probe would refuse it: "
                                                        f"{refusal.text}")
        try:
            json.dumps(tests[index], allow_nan=False)
        except (TypeError, ValueError) as exc:
            raise document.error((*at, "tests", index), f"not plain data: {exc}") from None
        occupies = PROBERS[test.kind].occupies
        if test.server is not None and occupies is not None:
            named[test.server] = servers[test.server].model_dump()
            holds[test.server] = max(holds.get(test.server, 0.0), occupies(test.params))
    # the collector leases a server to a probe for no longer than its plan's tests hold it
    return {"name": name, "match": match, "tests": tests, "servers": named,
            "version": wire.version(name, tests, named), "holds_s": holds}


def check(document: yamlfile.Document, source_sha256: str) -> Checked:
    """The set of plans in `document` (a file of digest `source_sha256`), or a ConfigError
    naming the first problem."""
    fields = document.validate(PlansFile, document.mapping())
    for name in fields.servers:
        if not NAME.match(name):
            raise document.error(("servers", name), "a name of letters, digits, '.', '_' or "
                                                    "'-', at most 64")
    envelope = Envelope.of(fields.limits, [s.host for s in fields.servers.values()])
    plans = [_plan(document, ("plans", i), fields.servers, envelope)
             for i in range(len(fields.plans))]
    seen: dict[str, int] = {}
    for index, entry in enumerate(plans):
        name = entry["name"]
        if name in seen:
            raise document.error(("plans", index, "name"),
                                 f"{name!r} is already the name of plans[{seen[name]}]")
        seen[name] = index
        if not entry["match"] and index < len(plans) - 1:
            raise document.error(("plans", index),
                                 "matches every probe, so the plans after it would never be "
                                 "chosen; put it last")
    servers = {name: server.model_dump() for name, server in fields.servers.items()}
    return Checked({"poll_every_s": fields.poll_every, "servers": servers, "plans": plans},
                   source_sha256)


def load(path: str | Path) -> Checked:
    source, text = yamlfile.read(path)
    return check(yamlfile.parse(text, str(path)), hashlib.sha256(source).hexdigest())
