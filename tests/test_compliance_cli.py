"""`netq compliance` on the command line: the JSON contract of docs/design.md, the evidence, and a
thresholds file that cannot be used."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

from netq.collector.compliance import thresholds
from netq.collector.store import Store
from tests.test_compliance_quarter import RECORDS, registry

pytestmark = pytest.mark.slow  # the netq command for each case
ROOT = Path(__file__).parent.parent


def netq(*args: str, env: dict[str, str] | None = None) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-m", "netq", *args], capture_output=True,
                          text=True, timeout=120, env=env)


@pytest.fixture
def db(tmp_path: Path) -> str:
    path = str(tmp_path / "netq.db")
    store = Store.open(path)
    store.upsert_connections(registry())
    store.ingest(RECORDS)
    return path


def test_compliance_json_keeps_the_design_contract(db: str) -> None:
    result = netq("compliance", "--quarter", "2026Q3", "--db", db, "--json")
    assert result.returncode == 0, result.stderr
    printed = json.loads(result.stdout)
    # one shape however many profiles: {quarter, documents}, here one document
    assert set(printed) == {"quarter", "documents"}
    (document,) = printed["documents"]
    assert (document["quarter"], document["profile"], document["timezone"]) == (
        "2026Q3", "com645", "Europe/Minsk")
    for entry in document["indicators"]:
        assert {"id", "name_ru", "service", "technology", "value", "unit", "norm", "meets",
                "n", "ci95"} <= set(entry)
        assert entry["service"] in ("fixed", "wireless", "customer")
        assert entry["norm"]["op"] in (">=", "<=")
    numbers = {e["item"].split(".")[0] for e in document["indicators"]}
    assert numbers == {str(n) for n in (1, 2, 3, *range(9, 22))}  # every indicator
    assert {e["edition"] for e in document["indicators"]} == {"com645"}


def test_compliance_json_is_what_the_published_schema_says(db: str) -> None:
    """docs/compliance.schema.json: generated from collector/compliance/document.py, and the
    command's output, breakdown and evidence included, valid under it as a user's tool reads
    it (JSON Schema 2020-12, no netq code)."""
    import jsonschema

    from netq.collector.compliance.document import schema_text

    published = (ROOT / "docs" / "compliance.schema.json").read_text("utf-8")
    assert published == schema_text(), "regenerate docs/compliance.schema.json"
    schema = json.loads(published)
    jsonschema.Draft202012Validator.check_schema(schema)
    for breakdown in ("technology", "region"):
        result = netq("compliance", "--quarter", "2026Q3", "--db", db, "--json",
                      "--by", breakdown)
        assert result.returncode == 0, result.stderr
        (document,) = json.loads(result.stdout)["documents"]
        assert document["sensitivity"]
        assert document["manifest"]
        errors = [f"{list(e.path)}: {e.message}" for e in
                  jsonschema.Draft202012Validator(schema).iter_errors(document)]
        assert errors == []


def test_a_key_the_models_do_not_declare_is_refused_before_it_is_published(db: str) -> None:
    from pydantic import ValidationError

    from netq.collector.compliance.document import checked
    from netq.collector.compliance.engine import compliance
    from netq.collector.compliance.quarter import Quarter

    document = compliance(Store.open(db), Quarter(2026, 3))
    assert checked(document) is document
    document["indicators"][0]["verdict_kind"] = "meets"
    with pytest.raises(ValidationError, match=r"indicators\.0\.verdict_kind"):
        checked(document)


def test_compliance_prints_a_table_for_people(db: str) -> None:
    result = netq("compliance", "--quarter", "2026Q3", "--db", db)
    assert result.returncode == 0, result.stderr
    assert "com645.15" in result.stdout
    assert "insufficient sample" in result.stdout


def test_several_profiles_give_one_document_each(db: str) -> None:
    from netq.collector.registry import FIRST_PERIOD, Connection

    store = Store.open(db)
    store.upsert_connections([Connection("B1", FIRST_PERIOD, "fixed", "adsl", 10_000, 1_000,
                                         "Brest", "node-b", "byfly2024")])
    store.close()
    result = netq("compliance", "--quarter", "2026Q3", "--db", db, "--json")
    assert result.returncode == 0, result.stderr
    documents = json.loads(result.stdout)["documents"]
    assert [d["profile"] for d in documents] == ["byfly2024", "com645"]
    (only,) = json.loads(netq("compliance", "--quarter", "2026Q3", "--db", db, "--json",
                              "--profile", "byfly2024").stdout)["documents"]
    assert (only["profile"], only["edition"]) == ("byfly2024", "byfly2024")


def test_connections_lists_the_lines_that_failed_a_norm(db: str) -> None:
    result = netq("compliance", "connections", "--quarter", "2026Q3", "--db", db)
    assert result.returncode == 0, result.stderr
    lines = {line["connection_id"]: line for line in json.loads(result.stdout)["lines"]}
    # the hand-built quarter: F1 failed speed, delay and loss; F2 its 50 % upload
    assert set(lines) == {"F1", "F2", "W1"}
    assert lines["F2"]["norms_failed"] == {"speed": {"tests": 2, "failed": 1}}


@pytest.mark.parametrize("command", [
    ["explain", "--indicator", "com645.16"], ["connections"], ["obligations"]])
def test_every_command_printing_json_takes_json(db: str, command: list[str]) -> None:
    result = netq("compliance", *command, "--quarter", "2026Q3", "--db", db, "--json")
    assert result.returncode == 0, result.stderr
    assert json.loads(result.stdout)


def test_explain_prints_the_results_behind_an_indicator(db: str) -> None:
    result = netq("compliance", "explain", "--quarter", "2026Q3", "--indicator", "com645.16",
                  "--db", db)
    assert result.returncode == 0, result.stderr
    evidence = json.loads(result.stdout)
    assert evidence["totals"]["latency_n"] == 5
    assert len(evidence["results"]) == 5


@pytest.mark.parametrize(("args", "message"), [
    (["--quarter", "2026Q5"], "not a quarter"),
    (["--quarter", "2026Q3", "--profile", "nope"], "no profile 'nope'"),
    (["explain", "--quarter", "2026Q3", "--indicator", "com645.99"], "has no indicator '99'"),
    (["explain", "--quarter", "2026Q3", "--indicator", "16"],
     "no indicator '16': an indicator is named by its edition and item, as `id` in netq "
     "compliance --json: e.g. com645.16"),
])
def test_a_wrong_argument_is_a_clear_error(db: str, args: list[str], message: str) -> None:
    result = netq("compliance", *args, "--db", db)
    assert result.returncode != 0
    assert message in result.stderr


def test_a_thresholds_file_with_a_bad_norm_names_its_line(db: str, tmp_path: Path) -> None:
    text = thresholds.default_path().read_text("utf-8")
    bad = tmp_path / "thresholds.yaml"
    bad.write_text(text.replace('norm: {op: "<=", value: 400}', 'norm: {op: "<", value: 400}'),
                   "utf-8")
    line = next(n for n, t in enumerate(bad.read_text("utf-8").splitlines(), 1)
                if 'op: "<"' in t)
    result = netq("compliance", "--quarter", "2026Q3", "--db", db, "--thresholds", str(bad))
    assert result.returncode == 1
    assert f"{bad}:{line}: profiles[0].indicators[" in result.stderr
    assert "norm.op" in result.stderr
