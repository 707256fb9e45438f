"""A regulator's review: each test holds one rule of netq's judgement to the clause it comes
from (the clause is in the test's docstring). Obligations (fee recalculation, support levels,
restoration, planned-work notice) are reviewed in test_compliance_obligations.py."""

from __future__ import annotations

import random
from datetime import date, datetime
from pathlib import Path
from typing import Any

import pytest

from netq.collector.compliance import thresholds
from netq.collector.compliance.customer import deadline
from netq.collector.compliance.engine import compliance
from netq.collector.compliance.explain import explain
from netq.collector.compliance.indicators import MEASURES, Unit
from netq.collector.compliance.lines import failing
from netq.collector.compliance.quarter import Quarter
from netq.collector.records import import_csv
from netq.collector.registry import FIRST_PERIOD, Connection
from netq.collector.store import Store
from tests.records import interval, latency, speed

Q3 = Quarter(2026, 3)


def line(connection_id: str, profile: str, service: str = "fixed", technology: str = "pon",
         down: int = 100_000) -> Connection:
    return Connection(connection_id, FIRST_PERIOD, service, technology, down, down // 2,
                      "Minsk", "node-a", profile)


def norms_file(tmp_path: Path, edit: Any = None, min_sample: int = 1) -> Path:
    text = thresholds.default_path().read_text("utf-8").replace(
        "min_sample: 30", f"min_sample: {min_sample}")
    path = tmp_path / "thresholds.yaml"
    path.write_text(edit(text) if edit else text, "utf-8")
    return path


def open_store(db_url: str, tmp_path: Path, edit: Any = None) -> Store:
    return Store.open(db_url, thresholds.load(norms_file(tmp_path, edit)))


def entry(document: dict[str, Any], indicator_id: str) -> dict[str, Any]:
    return next(e for e in document["indicators"]
                if e["id"] == indicator_id and e["technology"] is None)


def test_every_norm_names_the_clause_it_comes_from() -> None:
    """Standards: «every norm … names the clause it comes from»."""
    for edition in thresholds.load().profiles.values():
        for indicator in edition.indicators:
            assert indicator.clause.strip(), (edition.key, indicator.id)
        for service, norms in edition.per_test.items():
            for name in type(norms).model_fields:
                limit = getattr(norms, name)
                assert limit is None or limit.clause.strip(), (edition.key, service, name)


def test_a_norm_without_its_clause_is_refused_with_file_and_line(tmp_path: Path) -> None:
    """Standards: «errors name file and line»; a norm never stands without its source."""
    path = norms_file(tmp_path, lambda t: t.replace(
        'norm: {op: "<=", value: 400}, clause: "Приложение, п. 10",',
        'norm: {op: "<=", value: 400},'))
    with pytest.raises(thresholds.ThresholdsError, match=r"thresholds.yaml:\d+: .*clause"):
        thresholds.load(path)
    overridden = norms_file(tmp_path, lambda t: t.replace(
        '{id: "14", norm: {op: "<=", value: 0.5}, clause: "сообщения печати (текст изменения '
        'не опубликован)"}', '{id: "14", norm: {op: "<=", value: 0.5}}'))
    with pytest.raises(thresholds.ThresholdsError, match="needs its own clause"):
        thresholds.load(overridden)


def test_com645_is_in_force_six_months_after_publication() -> None:
    """Resolution No 645, item 4: «вступает в силу через шесть месяцев после его официального
    опубликования» (published 30.09.2022)."""
    com645 = thresholds.load().profile("com645")
    assert not com645.in_force_on(date(2023, 3, 30))
    assert com645.in_force_on(date(2023, 3, 31))


def test_wireless_speed_is_never_judged_against_the_tariff(db_url: str,
                                                           tmp_path: Path) -> None:
    """com645 annex, items 18–21: no tariff-speed norm for wireless data, only item 21's
    1 Mbit/s floor; byfly2024 footnote [1] to table 1: the tariff speed holds for ADSL and
    PON only."""
    store = open_store(db_url, tmp_path)
    store.upsert_connections([line("W1", "com645", "wireless", "lte", 20_000),
                              line("B1", "byfly2024", "wireless", "wifi", 20_000),
                              line("B2", "byfly2024", "fixed", "adsl", 10_000)])
    store.ingest([speed("W1", "2026-07-10T10:00:00+03:00", 2_000_000),  # 10 % of its tariff
                  speed("B1", "2026-07-10T10:00:00+03:00", 2_000_000),
                  speed("B2", "2026-07-10T10:00:00+03:00", 9_000_000)])
    com645 = compliance(store, Q3, "com645")
    assert not [e for e in com645["indicators"] if e["service"] == "wireless"
                and e["measure"].startswith(("speed_", "sessions_meeting_speed"))]
    assert "speed_min_share_of_tariff" not in com645["per_test"]["wireless"]
    assert entry(com645, "com645.21")["value"] == 0.0  # 2 Mbit/s: not under the 1 Mbit/s floor
    byfly = compliance(store, Q3, "byfly2024")
    # t2.4 takes in the ADSL line only: B2 at 90 % meets the 70 % norm; B1's Wi-Fi is not there
    assert (entry(byfly, "byfly2024.t2.4")["value"], entry(byfly, "byfly2024.t2.4")["n"]) == (
        100.0, 1)


def test_each_connection_is_judged_under_its_own_profile(db_url: str, tmp_path: Path) -> None:
    """The registry's `profile` column (docs/design.md): a byfly line is judged by byfly's own
    table (2, item 1) as well as by the annex, each under its own wording and method."""
    store = open_store(db_url, tmp_path)
    store.upsert_connections([line("F1", "com645"), line("B1", "byfly2024")])
    day = [interval(c, "2026-07-01T00:00:00+03:00", "2026-07-01T23:36:00+03:00", up=True)
           for c in ("F1", "B1")] + [
        interval(c, "2026-07-01T23:36:00+03:00", "2026-07-02T00:00:00+03:00", up=False)
        for c in ("F1", "B1")]  # 24 minutes down of 1 440: 98.33 %
    store.ingest(day)
    com645, byfly = compliance(store, Q3, "com645"), compliance(store, Q3, "byfly2024")
    assert (com645["connections"], byfly["connections"]) == (1, 1)
    f1, b1 = entry(com645, "com645.12"), entry(byfly, "byfly2024.t2.1")
    assert f1["value"] == b1["value"] == pytest.approx(100 * 1416 / 1440)
    assert b1["name_ru"] == "Коэффициент готовности соединения с сетью Интернет"
    assert "таблица 2, п. 1" in b1["clause"]
    assert (f1["meets"], b1["meets"]) == (False, False)  # 99 judges both: see the floor tests


def test_byfly_indicators_are_the_mean_over_its_subscribers(db_url: str,
                                                            tmp_path: Path) -> None:
    """byfly2024 1.5.1: «рассчитываются как среднее для всей совокупности Абонентов»."""
    store = open_store(db_url, tmp_path)
    store.upsert_connections([line("B1", "byfly2024"), line("B2", "byfly2024"),
                              line("F1", "com645"), line("F2", "com645")])
    sessions = [latency("B1", f"2026-07-{day:02d}T10:00:00+03:00", 20.0, 100)
                for day in range(1, 11)] + [latency("B2", "2026-07-01T10:00:00+03:00", 500.0, 100)]
    sessions += [latency("F1", f"2026-07-{day:02d}T10:00:00+03:00", 20.0, 100)
                 for day in range(1, 11)] + [latency("F2", "2026-07-01T10:00:00+03:00", 500.0, 100)]
    store.ingest(sessions)
    # B1 met the delay norm in 10 of 10 sessions, B2 in 0 of 1: their mean is 50 %;
    # pooled over the 11 sessions, as com645 counts F1 and F2 alike, it would be 10 of 11
    assert entry(compliance(store, Q3, "byfly2024"), "byfly2024.t2.5")["value"] == 50.0
    assert entry(compliance(store, Q3, "com645"), "com645.16")["value"] == pytest.approx(
        100 * 10 / 11)


def with_new_edition(text: str) -> str:
    """com645 until 14.08.2026, then a (made-up) edition with a 300 ms delay norm; the
    operators' profiles, which rest on the first, are left out."""
    text = text.replace("    effective_from: 2023-03-31\n    obligations:\n",
                        "    effective_from: 2023-03-31\n    effective_to: 2026-08-14\n"
                        "    obligations:\n", 1)
    head = text.split("\n  # Beltelecom's byfly rules", 1)[0]
    return head + """
  - key: com645-2026
    profile: com645
    regulation: true
    extends: com645
    title: a new edition
    source: test
    effective_from: 2026-08-15
    per_test:
      fixed:
        speed_min_share_of_tariff: {value: 70, clause: "п. 9"}
        delay_max_ms: {value: 300, clause: "п. 10 (new edition)"}
        loss_max_percent: {value: 1, clause: "п. 11"}
"""


def test_an_edition_change_inside_a_quarter_judges_each_test_by_its_day(
    db_url: str, tmp_path: Path,
) -> None:
    """INDICATORS.md, «Norms change»: a new edition is data with the date it takes effect;
    a test belongs to the rules in force on its (Minsk) day."""
    store = open_store(db_url, tmp_path, with_new_edition)
    store.upsert_connections([line("F1", "com645"), line("F2", "com645")])
    store.ingest([latency(c, moment, 350.0, 100) for c in ("F1", "F2") for moment in (
        "2026-08-14T23:59:00+03:00", "2026-08-15T00:00:00+03:00")])
    document = compliance(store, Q3, "com645")
    assert [e["key"] for e in document["editions"]] == ["com645", "com645-2026"]
    assert document["edition"] == "com645-2026"
    found = entry(document, "com645-2026.16")
    assert found["value"] == 50.0  # 350 ms meets 400 on 14.08, fails 300 from 15.08
    assert any("edition changed" in w for w in document["warnings"])
    evidence = explain(store, Q3, "com645-2026.16")
    assert evidence["totals"] == {"latency_n": 4, "delay_pass_n": 2}
    assert {r["edition"] for r in evidence["results"]} == {"com645", "com645-2026"}


def test_two_editions_of_a_profile_in_force_at_once_are_refused(tmp_path: Path) -> None:
    """A day is judged under one edition, never two."""
    path = norms_file(tmp_path, lambda t: with_new_edition(t).replace(
        "    effective_to: 2026-08-14\n", "", 1))
    with pytest.raises(thresholds.ThresholdsError,
                       match=r"thresholds.yaml:\d+: profiles\[\d+\].effective_from: "
                             r"edition com645-2026 .* while com645"):
        thresholds.load(path)


def test_an_edition_its_source_calls_superseded_is_flagged(db_url: str, tmp_path: Path) -> None:
    """byfly2024: the seed's heading «Предыдущая, утратившая силу, версия»."""
    store = open_store(db_url, tmp_path)
    store.upsert_connections([line("B1", "byfly2024")])
    warnings = compliance(store, Q3, "byfly2024")["warnings"]
    assert any("superseded" in w for w in warnings)


def test_a_change_to_the_judgement_rebuilds_the_rollups_so_explain_equals_the_figure(
    db_url: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
) -> None:
    """A published figure and its evidence never disagree: the judgement's version is part
    of the rollups' key."""
    from netq.collector.compliance import judgement

    path = norms_file(tmp_path)
    store = Store.open(db_url, thresholds.load(path))
    store.upsert_connections([line("F1", "com645"), line("F2", "com645")])
    store.ingest([latency(c, "2026-07-01T10:00:00+03:00", 20.0, 99) for c in ("F1", "F2")])
    assert entry(compliance(store, Q3), "com645.17")["value"] == 100.0  # 1 % lost: meets
    original = judgement._latency

    def stricter(metrics: Any, norms: Any, technology: str,
                 packets_min: int) -> Any:  # loss must be < 1 %
        tally = original(metrics, norms, technology, packets_min)
        if "packets_sent" in tally and tally["packets_lost"] * 100 >= tally["packets_sent"]:
            tally["loss_pass_n"] = 0
        return tally
    monkeypatch.setattr(judgement, "_latency", stricter)
    monkeypatch.setattr(judgement, "CODE_SHA256", "changed")
    store = Store.open(db_url, thresholds.load(path))
    figure = entry(compliance(store, Q3), "com645.17")
    evidence = explain(store, Q3, "com645.17")
    assert figure["value"] == 0.0
    assert (evidence["totals"]["latency_n"], evidence["totals"]["loss_pass_n"]) == (
        figure["n"], 0)


def bootstrap_width(pairs: list[tuple[float, float]], resamples: int = 4000) -> float:
    """The 95 % percentile interval's width of Σk/Σn over connections drawn with
    replacement."""
    rng = random.Random(1962)
    shares = []
    for _ in range(resamples):
        drawn = [pairs[rng.randrange(len(pairs))] for _ in pairs]
        total = sum(n for _, n in drawn)
        shares.append(sum(k for k, _ in drawn) / total)
    shares.sort()
    return shares[int(0.975 * resamples)] - shares[int(0.025 * resamples)]


def units_of(pairs: list[tuple[float, float]]) -> list[Unit]:
    moment = datetime.fromisoformat("2026-07-01T00:00:00+03:00")
    return [Unit(line(f"C{i}", "com645"), moment, moment,
                 {"packets_lost": k, "packets_sent": n}) for i, (k, n) in enumerate(pairs)]


@pytest.mark.parametrize("fleet", ["two_lossy_lines", "one_lossy_line_of_many", "even"])
def test_a_skewed_fleets_interval_is_no_narrower_than_a_connection_bootstrap(
    fleet: str,
) -> None:
    """Standards: «intervals use the connection as the unit of sampling»; packets of one line
    are not independent draws."""
    pairs = {"two_lossy_lines": [(300.0, 1000.0)] * 2 + [(0.0, 1000.0)] * 38,
             "one_lossy_line_of_many": [(500.0, 2000.0)] + [(2.0, 2000.0)] * 99,
             "even": [(10.0 + i % 3, 1000.0) for i in range(60)]}[fleet]
    figure = MEASURES["packet_loss"].figure(units_of(pairs))
    assert figure.ci95 is not None
    assert figure.connections == len(pairs)
    low, high = figure.ci95
    assert low <= figure.value <= high  # type: ignore[operator]
    assert high - low >= 100 * bootstrap_width(pairs)
    # what packets-as-draws would claim: an interval several times narrower
    packets = sum(n for _, n in pairs)
    naive = 2 * 1.96 * (figure.value / 100 * (1 - figure.value / 100) / packets) ** 0.5  # type: ignore[operator]
    if fleet != "even":
        assert high - low > 3 * 100 * naive


def test_the_minimum_sample_counts_connections_not_packets(db_url: str, tmp_path: Path) -> None:
    """docs/method.md: below `min_sample` connections the verdict is «insufficient sample»."""
    store = Store.open(db_url, thresholds.load(norms_file(tmp_path, min_sample=3)))
    store.upsert_connections([line("F1", "com645"), line("F2", "com645")])
    store.ingest([latency(c, f"2026-07-{d:02d}T10:00:00+03:00", 20.0, 100)
                  for c in ("F1", "F2") for d in range(1, 29)])
    found = entry(compliance(store, Q3), "com645.11")
    assert (found["n"], found["connections"]) == (5600, 2)
    assert (found["meets"], found["insufficient_sample"]) == (None, True)


def test_a_contract_pending_past_its_deadline_counts_as_late(db_url: str,
                                                             tmp_path: Path) -> None:
    """com645 annex, item 1: «доступ к услуге организован в срок, не превышающий количество
    дней … указанных в договоре»: a contract not fulfilled by then is not on time, whether
    or not it is fulfilled later; the days are working days where the contract says so."""
    store = open_store(db_url, tmp_path)
    store.upsert_connections([line("F1", "com645")])
    contracts = (
        "contract_id,connection_id,registered_on,promised_days,activated_on,"
        "customer_delay_days,promised_days_kind\n"
        "k1,F1,2026-07-01,5,2026-07-06,0,calendar\n"   # due 06.07: on time
        "k2,F1,2026-07-01,5,,0,calendar\n"             # due 06.07, pending: late
        "k3,F1,2026-07-01,5,2026-07-09,0,working\n"    # 2, 6, 7, 8, 9.07: due 09.07
        "k4,F1,2026-07-01,5,2026-07-10,0,working\n"    # due 09.07, activated 10.07: late
        "k5,F1,2026-09-28,10,,0,calendar\n")            # due 08.10: the next quarter's
    assert import_csv(store, "contracts", contracts.splitlines(keepends=True),
                      "c.csv").rejected == []
    # five working days after Wednesday 1.07: 2.07, then (3.07 Independence Day and the
    # weekend) 6, 7, 8 and 9.07
    assert deadline(date(2026, 7, 1), 5, "working", 0) == date(2026, 7, 9)
    document = compliance(store, Q3)
    assert (entry(document, "com645.1")["value"], entry(document, "com645.1")["n"]) == (50.0, 4)
    assert document["exclusions"]["contracts_pending_past_deadline"] == 1


def test_what_netq_does_not_measure_is_named_in_every_profile() -> None:
    """com645 annex items 4–8 (mobile voice) and 22–28 (broadcast and cable TV): the
    regulation's, so every profile resting on it names them."""
    for edition in thresholds.load().profiles.values():
        assert [item.numbers for item in edition.out_of_scope] == ["4–8", "22–25", "26–28"]
    indicators = {i.id for e in thresholds.load().profiles.values() for i in e.indicators}
    assert not indicators & {str(n) for n in (*range(4, 9), *range(22, 29))}


def test_the_lines_that_failed_a_per_test_norm_are_listed_with_their_tests(
    db_url: str, tmp_path: Path,
) -> None:
    """com645 annex, items 15–17: a connection meets the norms session by session; the
    operator sees which lines failed, and in which tests."""
    store = open_store(db_url, tmp_path)
    store.upsert_connections([line("F1", "com645"), line("F2", "com645"),
                              line("W1", "com645", "wireless", "lte", 20_000)])
    store.ingest([
        latency("F1", "2026-07-01T10:00:00+03:00", 20.0, 100),
        latency("F1", "2026-07-02T10:00:00+03:00", 401.0, 98),  # fails delay and loss
        speed("F1", "2026-07-03T10:00:00+03:00", 60_000_000),  # 60 % of 100 000: fails
        speed("F2", "2026-07-03T10:00:00+03:00", 90_000_000),
        latency("F2", "2026-07-01T10:00:00+03:00", 20.0, 100),
        speed("W1", "2026-07-03T10:00:00+03:00", 900_000),  # under the 1 Mbit/s floor
        speed("W1", "2026-07-04T10:00:00+03:00", 2_000_000),  # 10 % of its tariff: no norm
    ])
    found = {line["connection_id"]: line
             for line in failing(store, Q3, "com645")["lines"]}
    # F2's only speed test, 90 % of its tariff, meets item 15's 70 % but not item 9's
    # maximum: its contract is listed, with no per-test norm failed
    assert set(found) == {"F1", "F2", "W1"}
    assert (found["F2"]["norms_failed"], [(c["extreme"], c["share_of_tariff"])
                                          for c in found["F2"]["contract"]]) == (
        {}, [("max", 90.0)])
    assert [(c["indicators"], c["kbps"]) for c in found["F1"]["contract"]] == [
        (["com645.9.max.down"], 60_000), (["com645.9.min.down"], 60_000)]
    assert found["F1"]["norms_failed"] == {"speed": {"tests": 1, "failed": 1},
                                           "delay": {"tests": 2, "failed": 1},
                                           "loss": {"tests": 2, "failed": 1}}
    assert [(t["kind"], t["failed"]) for t in found["F1"]["tests"]] == [
        ("latency", ["delay", "loss"]), ("throughput", ["speed"])]
    assert found["W1"]["norms_failed"] == {"down_floor": {"tests": 2, "failed": 1}}
    assert [t["failed"] for t in found["W1"]["tests"]] == [["down_floor"]]


def segment_speed(connection_id: str, moment: str, bps: int, recorded: bool) -> dict[str, Any]:
    record = speed(connection_id, moment, bps)
    if recorded:
        record["metrics"].update(segment_payload_bytes=1448, segment_header_bytes=52)
    return record


@pytest.mark.parametrize(("layer", "segment_bytes"), [
    ("ethernet", 1518), ("ip", 1500), ("tcp_payload", 1448)])
def test_speed_is_judged_at_the_layer_the_profile_names_with_its_clause(
    db_url: str, tmp_path: Path, layer: str, segment_bytes: int,
) -> None:
    """com645 annex, item 9: «не менее 70 процентов от максимальной скорости, указанной в
    договоре (тарифном плане)»; no source names the layer, so speed is judged as the TCP
    payload unless a profile cites where its source states the tariff at another layer; the
    measured payload is then converted with the segment the probe recorded."""
    clause = "" if layer == "tcp_payload" else "\n  speed_layer_clause: a tariff clause"
    store = open_store(db_url, tmp_path, lambda t: t.replace(
        "speed_layer: tcp_payload", f"speed_layer: {layer}{clause}"))
    store.upsert_connections([line("F1", "com645", down=15_180)])
    # tariff 15 180 kbit/s: 70 % is 10 626 000 bit/s at the layer, where a 1448-byte payload
    # takes 1518 bytes (an Ethernet frame, header and FCS), 1500 (an IP packet) or itself
    exact, remainder = divmod(10_626_000 * 1448, segment_bytes)
    assert remainder == 0  # the boundary falls on a whole bit per second
    store.ingest([segment_speed("F1", "2026-07-01T10:00:00+03:00", exact, True),
                  segment_speed("F1", "2026-07-02T10:00:00+03:00", exact - 1, True),
                  segment_speed("F1", "2026-07-03T10:00:00+03:00", exact, False)])
    document = compliance(store, Q3, "com645")
    assert entry(document, "com645.15")["value"] == pytest.approx(100 * 2 / 3)  # 2 of 3
    assumed = 0 if layer == "tcp_payload" else 1  # the payload needs no segment size
    assert document["exclusions"]["speed_segment_assumed"] == assumed
    assert any("segment size" in w for w in document["warnings"]) == bool(assumed)
    plan = next(e for e in document["indicators"] if e["id"] == "com645.9.min.down")
    assert (plan["tariff_kbps"], plan["layer"], plan["unit"]) == (15_180, layer, "% of lines")
    assert plan["mean_kbps"] == pytest.approx(15_180 * 0.7 - 0.001, abs=1e-3)


def test_a_layer_other_than_the_payload_needs_its_clause(tmp_path: Path) -> None:
    """No source names the layer a tariff is stated at: judging another than the payload the
    probe measured must cite where a source does."""
    path = norms_file(tmp_path, lambda t: t.replace("speed_layer: tcp_payload",
                                                    "speed_layer: ethernet"))
    with pytest.raises(thresholds.ThresholdsError, match="speed_layer_clause"):
        thresholds.load(path)


def test_a_method_parameter_the_collector_does_not_apply_is_refused(tmp_path: Path) -> None:
    """Every parameter the report prints as method is one the collector applies: the probe's
    own settings (the loss timeout, the deferral threshold) are not the collector's to print."""
    path = norms_file(tmp_path, lambda t: t.replace(
        "  min_sample: 1 ", "  loss_timeout_s: 3\n  min_sample: 1 "))
    with pytest.raises(thresholds.ThresholdsError,
                       match=r"thresholds.yaml:\d+: method.loss_timeout_s: Extra inputs"):
        thresholds.load(path)


def test_availability_checked_against_on_net_targets_only_is_not_item_12(
    db_url: str, tmp_path: Path,
) -> None:
    """com645 annex, item 12: «Коэффициент готовности соединения с сетью Интернет»: a probe
    that checked only the operator's own nodes measured the access network, not the
    Internet; its time is counted apart, never in the figure, and a quarter observed only
    so is «не измерено»."""
    store = open_store(db_url, tmp_path)
    store.upsert_connections([line("F1", "com645"), line("F2", "com645")])

    def on_net(connection_id: str, start: str, end: str, up: bool) -> dict[str, Any]:
        record = interval(connection_id, start, end, up)
        del record["metrics"]["off_net_targets"], record["metrics"]["on_net_up"]
        return record
    store.ingest([on_net("F1", "2026-07-01T00:00:00+03:00", "2026-07-01T01:00:00+03:00", True),
                  on_net("F1", "2026-07-01T01:00:00+03:00", "2026-07-01T02:00:00+03:00", False),
                  interval("F2", "2026-07-01T00:00:00+03:00", "2026-07-01T01:00:00+03:00",
                           up=True)])
    document = compliance(store, Q3, "com645")
    assert document["exclusions"]["availability_on_net_only_minutes"] == 120
    assert any("on-net targets only" in w for w in document["warnings"])
    found = entry(document, "com645.12")
    assert (found["n"], found["value"]) == (60, 100.0)  # F2's hour; F1's down hour is not in
    with store.engine.begin() as db:  # F2's record gone: nothing measured item 12
        from sqlalchemy import delete

        from netq.collector import tables
        db.execute(delete(tables.results).where(tables.results.c.connection_id == "F2"))
        store.rollups.rebuild(db, None)
    alone = entry(compliance(store, Q3, "com645"), "com645.12")
    assert (alone["value"], alone["meets"], alone["verdict"]) == (None, None, "not_measured")
