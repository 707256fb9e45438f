"""What the report says first, and where it says the failures are: the indicators counted by
verdict, every indicator that fails or stands on the edge with its value and norm, and the
lines behind the figures — below each per-test norm, below their contract, below 80 % and 95 %
of their tariff — by region, node and tariff plan, and the measured lines against the
registry's."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from netq.reports import formatting
from netq.reports.formatting import N_
from netq.reports.i18n import Words
from netq.reports.rows import row

# the states in the order the first page counts them
STATES = ("meets", "fails", "edge", "insufficient_sample", "not_measured", "no_data")
MARKS = {"meets": "✓", "fails": "✗", "edge": "≈", "insufficient_sample": "?",
         "not_measured": "—", "no_data": "—"}
# a group of entries (item 9's plans) reads as its worst: a plan failing, then on the edge
WORST = ("fails", "edge", "insufficient_sample", "meets", "not_measured", "no_data")
# the first page's count of indicators per state
COUNTED = {"meets": N_("meet the norm"), "fails": N_("do not meet it"),
           "edge": N_("on the edge"), "insufficient_sample": N_("too little data for a verdict"),
           "not_measured": N_("not measured"), "no_data": N_("no data")}
# the per-test norms a line is counted against (collector/compliance/line_counts.NORMS), as
# the tables head their columns of lines
NORMS = {"speed": N_("outside the speed norm"), "delay": N_("outside the delay norm"),
         "loss": N_("outside the loss norm"),
         "down_floor": N_("a download under the floor")}


@dataclass(frozen=True)
class Counted:
    mark: str
    words: str
    n: int
    state: str


@dataclass(frozen=True)
class Failing:
    """An indicator that fails or stands on the edge, where, with its value and norm."""

    number: str
    name: str
    where: str
    value: str
    norm: str
    verdict: str
    state: str


def indicators_by_state(document: dict[str, Any], lang: str) -> tuple[int, list[Counted]]:
    """Each indicator once, over all its lines (item 9: its worst tariff plan), counted by
    verdict; states no indicator is in are left out."""
    worst: dict[str, str] = {}
    for entry in document["indicators"]:
        if entry["technology"] is not None:
            continue
        state = entry["verdict"]
        known = worst.get(entry["id"])
        worst[entry["id"]] = state if known is None else min(known, state, key=WORST.index)
    words = Words(lang)
    counted = [Counted(MARKS[s], words(COUNTED[s]), list(worst.values()).count(s), s)
               for s in STATES]
    return len(worst), [c for c in counted if c.n]


def failing(document: dict[str, Any], lang: str) -> list[Failing]:
    """Every indicator that fails, then every one on the edge, over all lines, and under a
    technology only where it does worse there than over all; item 9 as how many of its tariff
    plans fail; the operator's own records (items 1–3) included."""
    words = Words(lang)
    groups: dict[tuple[str, str | None], list[dict[str, Any]]] = {}
    for entry in document["indicators"]:
        groups.setdefault((entry["id"], entry["technology"]), []).append(entry)

    def state(entries: list[dict[str, Any]]) -> str:
        return str(min((e["verdict"] for e in entries), key=WORST.index))
    found = []
    for wanted in ("fails", "edge"):
        for (key, technology), entries in groups.items():
            whole = state(groups.get((key, None), entries))
            if state(entries) != wanted or (technology is not None
                                            and WORST.index(whole) <= WORST.index(wanted)):
                continue
            shown = row(entries[0], lang)
            where = formatting.technology(technology) if technology else words("all lines")
            if entries[0].get("tariff_kbps") is None:
                value, norm = f"{shown.value} {shown.unit}", shown.norm
            else:  # item 9: a norm of every contract, judged per tariff plan
                judged = [e for e in entries if e["value"] is not None]
                value = words.plural("%(failing)s of %(n)s tariff plan",
                                     "%(failing)s of %(n)s tariff plans", len(judged),
                                     failing=sum(e["verdict"] == wanted for e in judged),
                                     n=len(judged))
                norm = words("every line: %(norm)s %% of its tariff", norm=formatting.norm(
                    entries[0]["line_norm"]["op"], entries[0]["line_norm"]["share_of_tariff"],
                    lang))
            found.append(Failing(shown.number, shown.name.split(" — ")[0], where, value, norm,
                                 formatting.verdict(entries[0] if len(entries) == 1 else
                                                    {"verdict": wanted,
                                                     "meets": wanted == "edge"}, lang),
                                 wanted))
    return found


def norm_names(lang: str) -> dict[str, str]:
    words = Words(lang)
    return {name: words(said) for name, said in NORMS.items()}
