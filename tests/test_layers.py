"""The layers, checked on the source: the kernel (netq/: the record and its schema, errors,
configuration types, YAML, logging) imports no role; the probe and the collector import only
the kernel and themselves; the reports read the collector; only the composition root (the
`netq` command and the demo) puts every role together."""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
PACKAGES = {"netq": "netq", "probe": "netq.probe", "collector": "netq.collector",
            "reports": "netq.reports"}
ROLES = ("probe", "collector", "reports", "fleet", "demo")
COMPOSITION = {"netq.cli", "netq.__main__"}
MAY_IMPORT = {
    "kernel": {"kernel"},
    "probe": {"kernel", "probe"},
    "collector": {"kernel", "collector"},
    "reports": {"kernel", "collector", "reports"},
    # the operator's fleet tools: plans checked by the probe's parsers, kept by the collector
    "fleet": {"kernel", "probe", "collector", "fleet"},
    "demo": {"kernel", "probe", "collector", "reports", "fleet", "demo", "composition"},
    "composition": {"kernel", "probe", "collector", "reports", "fleet", "demo", "composition"},
}


def layer(module: str) -> str:
    if module in COMPOSITION:
        return "composition"
    parts = module.split(".")
    return parts[1] if len(parts) > 1 and parts[1] in ROLES else "kernel"


def modules() -> list[tuple[str, Path]]:
    found = []
    for folder, package in PACKAGES.items():
        for path in sorted((ROOT / folder).rglob("*.py")):
            parts = [p for p in path.relative_to(ROOT / folder).with_suffix("").parts
                     if p != "__init__"]
            found.append((".".join([package, *parts]), path))
    return found


def imports(path: Path) -> set[str]:
    """Every module `path` imports."""
    names = set()
    for node in ast.walk(ast.parse(path.read_text("utf-8"))):
        if isinstance(node, ast.ImportFrom) and node.module:
            names.add(node.module)
        elif isinstance(node, ast.Import):
            names.update(alias.name for alias in node.names)
    return names


def imported(path: Path) -> set[str]:
    return {name for name in imports(path) if name == "netq" or name.startswith("netq.")}


@pytest.mark.parametrize(("module", "path"), modules(), ids=[m for m, _ in modules()])
def test_a_module_imports_only_its_own_layer_and_those_below(module: str, path: Path) -> None:
    wrong = sorted(name for name in imported(path) if layer(name) not in MAY_IMPORT[layer(module)])
    assert not wrong, f"{module} ({layer(module)}) imports {wrong}"


@pytest.mark.parametrize(("module", "path"), [(m, p) for m, p in modules()
                                              if layer(m) != "collector"],
                         ids=[m for m, _ in modules() if layer(m) != "collector"])
def test_only_the_collector_touches_the_store_s_tables_and_engine(module: str,
                                                                  path: Path) -> None:
    """The store is a boundary: the reports, the demo and the command line ask the
    collector's functions, never the database."""
    tree = ast.parse(path.read_text("utf-8"))
    names = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.ImportFrom) and node.module:
            names.add(node.module)
            names.update(f"{node.module}.{alias.name}" for alias in node.names)
        elif isinstance(node, ast.Import):
            names.update(alias.name for alias in node.names)
    wrong = sorted(n for n in names if n.split(".")[0] == "sqlalchemy"
                   or n.startswith("netq.collector.tables"))
    engine = [node.lineno for node in ast.walk(tree)
              if isinstance(node, ast.Attribute) and node.attr == "engine"]
    assert not wrong, f"{module} imports {wrong}"
    assert not engine, f"{module} uses a store's engine on lines {engine}"


# the judging core: how a test is judged, the measures, the figures, the norms, the statistics
# and the calendar work on plain values handed to them (collector/queries.py reads them), so
# each can be tested without a database
JUDGING_CORE = ("judgement", "thresholds", "limits", "figures", "indicators", "availability",
                "document", "customer", "deadline", "line_counts", "stats", "quarter",
                "workcalendar", "notices",
                *(f"measures/{p.stem}" for p in sorted(
                    (ROOT / "collector" / "compliance" / "measures").glob("*.py"))))


@pytest.mark.parametrize("name", JUDGING_CORE)
def test_the_judging_core_touches_no_database(name: str) -> None:
    path = ROOT / "collector" / "compliance" / f"{name}.py"
    touched = sorted(n for n in imports(path)
                     if n.split(".")[0] == "sqlalchemy" or n in (
                         "netq.collector.store", "netq.collector.tables", "netq.collector.db",
                         "netq.collector.queries"))
    assert not touched, f"compliance/{name}.py reaches the store: {touched}"



COMPLIANCE = sorted((ROOT / "collector" / "compliance").rglob("*.py"))


@pytest.mark.parametrize("path", COMPLIANCE, ids=[p.name for p in COMPLIANCE])
def test_compliance_asks_the_store_s_queries_and_writes_no_sql(path: Path) -> None:
    """collector/queries.py owns every query the figures are made from; the compliance
    package composes them (engine, explain, the line protocol) or works on what they give."""
    sql = sorted(n for n in imports(path) if n.split(".")[0] == "sqlalchemy"
                 or n in ("netq.collector.tables", "netq.collector.db"))
    assert not sql, f"{path.relative_to(ROOT)} imports {sql}"
