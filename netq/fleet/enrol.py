"""Enrolling probes in bulk: a token and a first configuration for each probe of a CSV.

    probe_id,connections,technology
    ont-minsk-0001,C-100045,pon
    node-minsk-1,C-100046;C-100047,

`connections` are `;`-separated (the first is the one the probe's records name);
`technology` may be left empty when the registry has the first connection. Each probe gets
`DIR/PROBE_ID/probe.yaml` (checked by the probe's own parser: its identity, the collector,
its token file; its tests come from the collector's plans) and `DIR/PROBE_ID/probe.token`
(mode 0600) to copy to the box as /etc/netq/probe.yaml and /etc/netq/probe.token. A probe
that has a live token is left alone unless rotating: then it gets a new token that
supersedes the old ones at its first use, so no request in between is refused.
"""

from __future__ import annotations

import csv
import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import yaml

from netq.collector.compliance.quarter import minsk_day
from netq.collector.store import Store, new_token
from netq.errors import ConfigError
from netq.files import replace, text_of
from netq.model import TECHNOLOGIES
from netq.probe import config as probe_config

SAFE_ID = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._-]{0,127}$")  # also a directory's name
COLUMNS = ("probe_id", "connections", "technology")
TOKEN_FILE = "/etc/netq/probe.token"
SPOOL = "/var/lib/netq/probe/spool.db"


@dataclass(frozen=True)
class Entry:
    line: int
    probe_id: str
    connections: tuple[str, ...]
    technology: str | None


def parse(lines: Iterable[str], source: str, delimiter: str = ",") -> list[Entry]:
    """The CSV's probes; a ConfigError naming every bad line (and nothing taken) otherwise."""
    reader = csv.DictReader(lines, delimiter=delimiter)
    missing = [c for c in COLUMNS[:2] if c not in (reader.fieldnames or [])]
    if missing:
        raise ConfigError(f"{source}:1: missing column(s) {', '.join(missing)}; "
                          f"the columns are {', '.join(COLUMNS)}")
    entries, problems, seen = [], [], set()
    for row in reader:
        line = reader.line_num
        probe_id = (row.get("probe_id") or "").strip()
        connections = tuple(c.strip() for c in (row.get("connections") or "").split(";")
                            if c.strip())
        technology = (row.get("technology") or "").strip() or None
        if not SAFE_ID.match(probe_id):
            problems.append(f"{source}:{line}: probe_id {probe_id!r}: letters, digits, '.', "
                            "'_' or '-', at most 128")
        elif probe_id in seen:
            problems.append(f"{source}:{line}: probe_id {probe_id} is listed twice")
        if not connections:
            problems.append(f"{source}:{line}: connections: at least one connection id")
        if technology is not None and technology not in TECHNOLOGIES:
            problems.append(f"{source}:{line}: technology {technology!r}: one of "
                            f"{', '.join(TECHNOLOGIES)}")
        seen.add(probe_id)
        entries.append(Entry(line, probe_id, connections, technology))
    if problems:
        raise ConfigError("\n".join([*problems, f"{len(problems)} problem(s) in {source}; "
                                                 "nobody enrolled"]))
    return entries


def bootstrap(entry: Entry, technology: str, url: str,
              allow: Sequence[str] = ()) -> dict[str, Any]:
    """The probe's first configuration; checked by the probe's own parser. `allow`: where a
    central plan's tests may send (the probe's `limits.targets`)."""
    collector = {"url": url, "token_file": TOKEN_FILE, "plan_every": "5m"}
    config: dict[str, Any] = {
        "probe_id": entry.probe_id,
        "connection_id": entry.connections[0],
        "technology": technology,
        "spool": SPOOL,
        "collector": collector,
    }
    if allow:
        config["limits"] = {"targets": list(allow)}
    # as the probe will read it; with the token given, the file (not there yet) is not read
    probe_config.parse({**config, "collector": {**collector, "token": "x" * 43}},
                       f"probe {entry.probe_id}")
    return config


def write(directory: Path, entry: Entry, config: dict[str, Any], token: str) -> None:
    """probe.yaml and probe.token of one probe, each written whole (0600 for the token),
    never through a link planted in their place."""
    folder = directory / entry.probe_id
    if folder.is_symlink():
        raise ConfigError(f"{folder} is a symbolic link: not written through")
    files = ((folder / "probe.yaml", "# written by netq fleet enroll\n" +
              yaml.safe_dump(config, sort_keys=False, allow_unicode=True), 0o644),
             (folder / "probe.token", token + "\n", 0o600))
    for path, text, mode in files:
        try:
            folder.mkdir(parents=True, exist_ok=True)
            replace(path, text_of(text), mode)
        except OSError as exc:
            raise ConfigError(f"cannot write {path}: {exc.strerror}; the probe's token is "
                              "not made, run the command again") from None


def enrol(store: Store, entries: list[Entry], url: str, directory: Path, rotate: bool,
          source: str, allow: Sequence[str] = ()) -> dict[str, list[str]]:
    """Tokens and configurations for the probes that need them; what was done to whom."""
    done: dict[str, list[str]] = {"enrolled": [], "rotated": [], "kept": [], "moved": []}
    plans = []
    for entry in entries:
        technology = entry.technology
        if technology is None:
            row = store.connection_at(entry.connections[0], minsk_day(datetime.now(UTC)))
            if row is None:
                raise ConfigError(f"{source}:{entry.line}: technology: empty, and connection "
                                  f"{entry.connections[0]} is not in the registry; nobody "
                                  "enrolled")
            technology = row.technology
        plans.append((entry, bootstrap(entry, technology, url, allow)))
    for entry, config in plans:  # every line checked before anyone is enrolled
        live = [t for t in store.tokens(entry.probe_id) if t["revoked_at"] is None]
        if live and not rotate:
            done["kept"].append(entry.probe_id)
            continue
        # the files first, the token last: a run cut short leaves no live token without its
        # files, and the next run completes it
        token = new_token()
        write(directory, entry, config, token)
        held = store.holders(entry.connections)
        done["moved"] += [f"{c} from {p}" for c in entry.connections for p in held.get(c, [])
                          if p != entry.probe_id]
        store.create_token(entry.probe_id, entry.connections, supersedes=bool(live),
                           token=token, exclusive=True)
        done["rotated" if live else "enrolled"].append(entry.probe_id)
    return done
