"""A test plan, wire format `netq.plan/1`: what a probe measures, served by the collector.

An operator writes the plans of the whole fleet in one file (`netq fleet plan apply`); the
collector hands each probe the plan its group matches; the probe validates it with its
probers' own parameters, keeps it on disk and stamps its version on every record. The
version is a digest of the plan's content, so the same plan has the same version wherever it
is read, and a record names exactly what its probe was asked to do.
"""

from __future__ import annotations

import hashlib
import json
from typing import Any

SCHEMA = "netq.plan/1"
# what a plan may match a probe on: the registry's columns of its connections, and the ids
MATCH_KEYS = ("technology", "region", "node", "connection_id", "probe_id")
_CANONICAL = json.JSONEncoder(sort_keys=True, separators=(",", ":"), ensure_ascii=False)


def version(name: str, tests: list[dict[str, Any]], servers: dict[str, Any]) -> str:
    """The plan's version: the first 16 hex digits of sha256 over its canonical JSON (its
    name, its tests, and the servers they name: {name: {"host", "ports"}})."""
    content = _CANONICAL.encode({"name": name, "tests": tests, "servers": servers})
    return hashlib.sha256(content.encode()).hexdigest()[:16]


def body(name: str, tests: list[dict[str, Any]], servers: dict[str, Any],
         poll_every_s: float) -> dict[str, Any]:
    """The plan as the collector serves it and the probe caches it."""
    return {"schema": SCHEMA, "name": name, "version": version(name, tests, servers),
            "poll_every_s": poll_every_s, "tests": tests, "servers": servers}


def problems(document: Any) -> list[str]:
    """What makes `document` not a plan of this format (empty when it is one): checked by
    the probe on what it received or read back from disk, before its tests are parsed."""
    if not isinstance(document, dict):
        return ["a plan is a JSON object"]
    found = []
    if document.get("schema") != SCHEMA:
        found.append(f"schema is {document.get('schema')!r}, not {SCHEMA}")
    name, tests, servers = document.get("name"), document.get("tests"), document.get("servers")
    if not isinstance(name, str) or not name:
        found.append("name is missing")
    if not isinstance(servers, dict) or not all(isinstance(s, dict) for s in servers.values()):
        found.append("servers is not a mapping of servers")
    elif not isinstance(tests, list) or not all(isinstance(t, dict) for t in tests):
        found.append("tests is not a list of tests")
    elif isinstance(name, str) and document.get("version") != version(name, tests, servers):
        found.append(f"version {document.get('version')!r} is not the digest of its content")
    poll = document.get("poll_every_s")
    if isinstance(poll, bool) or not isinstance(poll, int | float) or not poll > 0:
        found.append("poll_every_s is not a positive number")
    return found
