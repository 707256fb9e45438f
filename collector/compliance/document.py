"""The compliance document (`netq compliance --json`, the report's JSON, what a run keeps):
its every key typed, so that what netq publishes has a schema (`docs/compliance.schema.json`,
generated from these models and checked by the tests) and a key the engine adds without
declaring it here is an error before it is ever published.

The engine builds the document, then validates it against these models once: `checked()`
gives it back exactly as built (no key added, none dropped), `typed()` as the models read it.
"""

from __future__ import annotations

import json
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field

from netq.collector.compliance.measures import Series
from netq.collector.compliance.thresholds import LineService, Method, PerTest

Verdict = Literal["meets", "fails", "edge", "insufficient_sample", "not_measured", "no_data"]
Interval = tuple[float, float]
Number = int | float  # as computed: a count stays an integer in the JSON


class Closed(BaseModel):
    model_config = ConfigDict(extra="forbid")


class NormOut(Closed):
    op: Literal[">=", "<="]
    value: Number


class LineNorm(Closed):
    """Item 9: what each line of a plan must reach."""

    op: Literal[">=", "<="]
    share_of_tariff: Number
    kbps: Number


class IndicatorEntry(Closed):
    """One indicator over all lines, or over one group of a breakdown."""

    id: str = Field(description="the edition's key and the indicator's id: com645.16")
    edition: str = Field(description="the edition whose norm judges it")
    item: str = Field(description="the indicator's id in its profile, as thresholds.yaml has it")
    name_ru: str
    clause: str = Field(description="where its norm stands in the source")
    service: Literal["fixed", "wireless", "data", "customer"]
    technology: str | None = Field(description="the group of a breakdown by technology; null: "
                                               "all the indicator's lines")
    region: str | None = None
    node: str | None = None
    measure: str
    value: Number | None
    unit: str
    norm: NormOut
    source_norm: NormOut | None = Field(description="an operator's laxer norm, shown beside "
                                                    "the regulation's that judges")
    raised_by: str | None
    meets: bool | None = Field(description="which side of the norm the value is on")
    verdict: Verdict
    certain: bool | None = Field(description="whether the whole 95 % interval is on that side")
    n: Number = Field(description="what the measure counts (n_counts)")
    n_counts: str
    series: Series = Field(description="the Prometheus series the figure is published as")
    connections: int | None = Field(description="the units of sampling behind the figure")
    ci95: Interval | None
    insufficient_sample: bool
    averaging: Literal["pooled", "per_subscriber"]
    # item 9, per tariff plan
    tariff_kbps: int | None = None
    layer: str | None = None
    line_norm: LineNorm | None = None
    lines_failing: int | None = None
    tests: int | None = None
    mean_kbps: Number | None = None
    mean_ci95_kbps: Interval | None = None
    # item 12: what its figure holds of planned works
    planned_works_down_minutes: Number | None = None
    planned_works_late_notice_down_minutes: Number | None = None
    # the figure under the other reading of each open question (sensitivity)
    readings: dict[str, dict[str, Any]] | None = None


class LineFigure(IndicatorEntry):
    """An indicator made from one line's own tests (the line protocol): as the published
    figure is made, with the totals `explain` gives and whether this one line's value meets
    the norm's (item 9: the line's own contract, in kbit/s)."""

    totals: dict[str, Number]
    line_meets: bool | None


class EditionSpan(Closed):
    key: str
    from_: str = Field(alias="from")
    to: str


class Period(Closed):
    from_: str = Field(alias="from")
    to: str


class Compared(Closed):
    id: str
    tariff_kbps: int | None
    unit: str
    adopted: dict[str, Any]
    alternative: dict[str, Any]


class Sensitivity(Closed):
    reading: str
    question: str
    adopted: str
    alternative: str
    indicators: list[Compared]


class Coverage(Closed):
    covered_s: float
    expected_s: float
    ratio: float | None


class RegionSample(Closed):
    region: str
    connections: int
    results: int


class Sample(Closed):
    probes: int
    regions: list[RegionSample]


class Publication(Closed):
    clause: str
    day: int


class OutOfScope(Closed):
    numbers: str
    what: str
    why: str


class NoticeOut(Closed):
    message: str = Field(description="English, with %(name)s placeholders: the catalogue's id")
    params: dict[str, str | int | float]


class Manifest(Closed):
    """What the figures can be re-derived and checked from."""

    computed_at: str
    results: int
    snapshot_sha256: str
    profile_sha256: str
    criteria: list[str]
    code_version: str
    code_sha256: str
    thresholds_sha256: str


class Document(Closed):
    """One profile's quarter."""

    quarter: str
    profile: str
    edition: str
    editions: list[EditionSpan]
    rests_on: str | None
    profile_title: str
    profile_source: str
    timezone: Literal["Europe/Minsk"]
    period: Period
    observed_until: str
    breakdown: Literal["technology", "region", "node"] | None
    decision_rule: str
    method: Method
    per_test: dict[LineService, PerTest]
    indicators: list[IndicatorEntry]
    sensitivity: list[Sensitivity] | None
    connections: int
    exclusions: dict[str, float]
    suspension_clauses: dict[str, str]
    publication: Publication | None
    coverage: Coverage
    sample: Sample | None
    out_of_scope: list[OutOfScope]
    warnings: list[str]
    notices: list[NoticeOut]
    manifest: Manifest | None


def typed(document: dict[str, Any]) -> Document:
    """The document as its models read it (a ValidationError names the key that does not
    match them)."""
    return Document.model_validate(document)


def checked(document: dict[str, Any]) -> dict[str, Any]:
    """The document as built, once it matches the models."""
    typed(document)
    return document


def schema_text() -> str:
    """The JSON Schema of the document, as docs/compliance.schema.json publishes it."""
    schema = Document.model_json_schema(by_alias=True)
    schema["$schema"] = "https://json-schema.org/draft/2020-12/schema"
    schema["$id"] = "https://netq.example/schema/netq.compliance/1"
    schema["title"] = "netq compliance document: one profile's quarter"
    return json.dumps(schema, ensure_ascii=False, indent=1, sort_keys=True) + "\n"
