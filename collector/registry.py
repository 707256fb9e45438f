"""The connections registry CSV (docs/design.md): parsed and checked line by line.

One bad line rejects the whole file, with every bad line named: a registry half imported
would judge some connections against the wrong tariff.
"""

from __future__ import annotations

import bisect
import csv
from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import date

from netq.model import TECHNOLOGIES
from netq.text import text_problem

COLUMNS = ("connection_id", "service", "technology", "tariff_down_kbps", "tariff_up_kbps",
           "region", "node", "profile", "effective_from")
SERVICES = ("fixed", "wireless")
MAX_TARIFF_KBPS = 100_000_000  # 100 Gbit/s
FIRST_PERIOD = date(1, 1, 1)  # a row with no effective_from: in force from the start


@dataclass(frozen=True)
class Connection:
    connection_id: str
    effective_from: date
    service: str
    technology: str
    tariff_down_kbps: int
    tariff_up_kbps: int
    region: str
    node: str
    profile: str


@dataclass
class Parsed:
    rows: list[Connection] = field(default_factory=list)
    errors: list[str] = field(default_factory=list)


def _tariff(value: str, column: str, errors: list[str], where: str) -> int:
    try:
        kbps = int(value)
    except ValueError:
        errors.append(f"{where}: {column} {value!r} is not a whole number of kbit/s")
        return 0
    if not 0 < kbps <= MAX_TARIFF_KBPS:
        errors.append(f"{where}: {column} {kbps} is outside 1..{MAX_TARIFF_KBPS} kbit/s")
    return kbps


# the registry table's column sizes
LONGEST = {"connection_id": 128, "region": 128, "node": 128, "profile": 64}
# a tariff period outside these is a typo, not a contract
EARLIEST, LATEST = date(2000, 1, 1), date(2100, 12, 31)


def parse(lines: Iterable[str], source: str = "connections", delimiter: str = ",") -> Parsed:
    reader = csv.DictReader(lines, delimiter=delimiter)
    parsed = Parsed()
    header = tuple(name.strip() for name in reader.fieldnames or ())
    if set(header) != set(COLUMNS):
        missing = [c for c in COLUMNS if c not in header]
        extra = [c for c in header if c not in COLUMNS]
        parsed.errors.append(
            f"{source}: line 1: the columns must be {', '.join(COLUMNS)}"
            + (f"; missing {', '.join(missing)}" if missing else "")
            + (f"; unknown {', '.join(extra)}" if extra else ""))
        return parsed
    seen: dict[tuple[str, date], int] = {}
    for raw in reader:
        where = f"{source}: line {reader.line_num}"
        row = {k.strip(): (v or "").strip() for k, v in raw.items() if k is not None}
        errors: list[str] = []
        if None in raw:
            errors.append(f"{where}: more fields than the {len(COLUMNS)} columns")
        for column, value in row.items():
            problem = text_problem(value) or (
                f"longer than {LONGEST[column]} characters"
                if len(value) > LONGEST.get(column, len(value)) else None)
            if problem:
                errors.append(f"{where}: {column}: {problem}")
        if errors:
            parsed.errors.extend(errors)
            continue
        if not row["connection_id"]:
            errors.append(f"{where}: connection_id is empty")
        if row["service"] not in SERVICES:
            errors.append(f"{where}: service {row['service']!r} is not one of "
                          f"{', '.join(SERVICES)}")
        if row["technology"] not in TECHNOLOGIES:
            errors.append(f"{where}: technology {row['technology']!r} is not one of "
                          f"{', '.join(TECHNOLOGIES)}")
        down = _tariff(row["tariff_down_kbps"], "tariff_down_kbps", errors, where)
        up = _tariff(row["tariff_up_kbps"], "tariff_up_kbps", errors, where)
        effective = FIRST_PERIOD
        if row["effective_from"]:
            try:
                effective = date.fromisoformat(row["effective_from"])
            except ValueError:
                errors.append(f"{where}: effective_from {row['effective_from']!r} is not a "
                              "date (YYYY-MM-DD)")
            else:
                if not EARLIEST <= effective <= LATEST:
                    errors.append(f"{where}: effective_from {effective} is outside "
                                  f"{EARLIEST.year}–{LATEST.year}")
        key = (row["connection_id"], effective)
        if not errors and key in seen:
            errors.append(f"{where}: {key[0]} from {row['effective_from'] or 'the start'} "
                          f"is already on line {seen[key]}")
        if errors:
            parsed.errors.extend(errors)
            continue
        seen[key] = reader.line_num
        parsed.rows.append(Connection(
            connection_id=row["connection_id"], effective_from=effective,
            service=row["service"], technology=row["technology"], tariff_down_kbps=down,
            tariff_up_kbps=up, region=row["region"], node=row["node"], profile=row["profile"]))
    return parsed


class RegistryPeriods:
    """The registry periods of some connections, to find the row in force on a day."""

    def __init__(self, rows: Iterable[Connection]) -> None:
        self.periods: dict[str, list[Connection]] = defaultdict(list)
        for row in sorted(rows, key=lambda r: r.effective_from):
            self.periods[row.connection_id].append(row)

    def in_force(self, connection_id: str, day: date) -> Connection | None:
        periods = self.periods.get(connection_id, [])
        index = bisect.bisect_right([p.effective_from for p in periods], day)
        return periods[index - 1] if index else None
