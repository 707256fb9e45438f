"""`netq connections import`, `netq collector token create`, `netq collector import`:
what an operator types, with the exits and messages they get."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

from tests.records import latency_record

pytestmark = pytest.mark.slow  # the netq command for each case

HEADER = ("connection_id,service,technology,tariff_down_kbps,tariff_up_kbps,region,node,"
          "profile,effective_from\n")


def netq(*argv: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-m", "netq", *argv], capture_output=True, text=True,
                          timeout=120)


def one_line_store(tmp_path: Path) -> str:
    """A SQLite store in tmp_path with the registry of one line, C-1, imported as a user
    would; its path."""
    db = str(tmp_path / "netq.db")
    csv = tmp_path / "connections.csv"
    csv.write_text(HEADER + "C-1,fixed,pon,100000,50000,Minsk,n1,com645,\n")
    assert netq("connections", "import", str(csv), "--db", db).returncode == 0
    return db

def test_the_registry_imports_and_reimports_idempotently(tmp_path: Path, db_url: str) -> None:
    csv = tmp_path / "connections.csv"
    csv.write_text(HEADER + "C-1,fixed,pon,100000,50000,Минск,node-1,com645,\n"
                   "C-1,fixed,pon,300000,100000,Минск,node-1,com645,2026-08-10\n")
    first = netq("connections", "import", str(csv), "--db", db_url)
    assert first.returncode == 0, first.stderr
    assert first.stdout.strip() == "2 inserted, 0 updated, 0 unchanged"
    assert netq("connections", "import", str(csv), "--db", db_url).stdout.strip() == \
        "0 inserted, 0 updated, 2 unchanged"


def test_a_bad_registry_names_every_bad_line_and_imports_nothing(tmp_path: Path) -> None:
    db = str(tmp_path / "netq.db")
    csv = tmp_path / "connections.csv"
    csv.write_text(HEADER + "C-1,fixed,pon,100000,50000,Minsk,n1,com645,\n"
                   "C-2,mobile,pon,100000,50000,Minsk,n1,com645,\n"
                   "C-3,fixed,pon,fast,50000,Minsk,n1,com645,31.12.2026\n")
    result = netq("connections", "import", str(csv), "--db", db)
    assert result.returncode == 1
    assert "line 3: service 'mobile' is not one of fixed, wireless" in result.stderr
    assert "line 4: tariff_down_kbps 'fast' is not a whole number of kbit/s" in result.stderr
    assert "line 4: effective_from '31.12.2026' is not a date (YYYY-MM-DD)" in result.stderr
    assert "nothing imported" in result.stderr
    wrong_columns = tmp_path / "wrong.csv"
    wrong_columns.write_text("id,tariff\nC-1,100\n")
    result = netq("connections", "import", str(wrong_columns), "--db", db)
    assert result.returncode == 1
    assert "line 1: the columns must be connection_id, service" in result.stderr


def test_a_token_is_printed_once_and_the_import_reports_what_it_did(
    tmp_path: Path, db_url: str
) -> None:
    csv = tmp_path / "connections.csv"
    csv.write_text(HEADER + "C-1,fixed,pon,100000,50000,Minsk,n1,com645,\n")
    netq("connections", "import", str(csv), "--db", db_url)
    token = netq("collector", "token", "create", "--probe-id", "probe-1", "--connection", "C-1",
                 "--db", db_url)
    assert token.returncode == 0
    assert len(token.stdout.strip()) >= 40

    good = [latency_record(started_at="2026-08-15T11:00:00.000+00:00") for _ in range(3)]
    lines = [json.dumps(r) for r in good] + ["{not json", json.dumps(latency_record(ok="yes"))]
    jsonl = tmp_path / "results.jsonl"
    jsonl.write_text("\n".join(lines) + "\n")
    result = netq("collector", "import", str(jsonl), "--db", db_url)
    assert result.returncode == 1  # something was rejected, and the exit says so
    assert result.stdout.strip().splitlines()[-1] == \
        "3 accepted, 0 duplicate, 0 conflict, 0 unregistered, 2 rejected"
    assert f"{jsonl}: line 4: not JSON" in result.stderr
    assert f"{jsonl}: line 5: rejected: ok: 'yes' is not of type 'boolean'" in result.stderr
    again = netq("collector", "import", str(jsonl), "--db", db_url)
    assert again.stdout.strip().splitlines()[-1] == \
        "0 accepted, 3 duplicate, 0 conflict, 0 unregistered, 2 rejected"


def test_an_unreachable_database_is_a_clear_error_and_its_password_is_not_shown() -> None:
    result = netq("collector", "token", "create", "--probe-id", "p", "--db",
                  "postgresql://nobody:s3cret@127.0.0.1:1/none")
    assert result.returncode == 3  # the environment's, not the command's
    assert "cannot open the store postgresql+psycopg://nobody:***@127.0.0.1:1/none" in \
        result.stderr
    assert "s3cret" not in result.stderr
    assert "Traceback" not in result.stderr


@pytest.mark.slow  # a command run a dozen times
def test_tokens_are_listed_without_secrets_scoped_and_revoked_one_by_one(tmp_path: Path) -> None:
    from netq.collector.store import Store

    db = str(tmp_path / "netq.db")
    csv = tmp_path / "connections.csv"
    csv.write_text(HEADER + "C-1,fixed,pon,100000,50000,Minsk,n1,com645,\n"
                   "C-2,fixed,pon,100000,50000,Minsk,n1,com645,\n")
    assert netq("connections", "import", str(csv), "--db", db).returncode == 0
    first = netq("collector", "token", "create", "--probe-id", "p1", "--connection", "C-1",
                 "--connection", "C-404", "--db", db)
    assert first.returncode == 0
    assert "not in the connections registry (yet): C-404" in first.stderr
    second = netq("collector", "token", "create", "--probe-id", "p1", "--db", db)
    secrets = [first.stdout.strip(), second.stdout.strip()]

    listed = netq("collector", "token", "list", "--db", db)
    assert listed.returncode == 0
    header, *lines = listed.stdout.strip().splitlines()
    assert header.split() == ["TOKEN", "ID", "PROBE", "CREATED", "REVOKED", "CONNECTIONS"]
    assert len(lines) == 2
    assert all(" p1 " in line and "live" in line for line in lines)
    assert all(secret not in listed.stdout for secret in secrets)
    assert lines[0].endswith("C-1,C-404")

    as_json = json.loads(netq("collector", "token", "list", "--db", db, "--json").stdout)
    assert [(t["probe_id"], t["revoked_at"], t["connections"]) for t in as_json] == [
        ("p1", None, ["C-1", "C-404"])] * 2

    # the scope shrinks as well as grows, for every token of the probe
    scoped = netq("collector", "token", "scope", "--probe-id", "p1", "--connection", "C-2",
                  "--db", db)
    assert scoped.stdout.strip() == "p1: C-1,C-404 → C-2"
    store = Store.open(db)
    assert store.authenticate(secrets[1]) == ("p1", {"C-2"})

    token_id = lines[0].split()[0]
    assert netq("collector", "token", "revoke", "--token-id", token_id, "--db", db).returncode == 0
    assert store.authenticate(secrets[0]) is None
    assert store.authenticate(secrets[1]) == ("p1", {"C-2"})  # the other token still works
    store.close()

    for argv, message in (
            (("revoke", "--token-id", token_id), f"no live token {token_id}"),
            (("revoke", "--probe-id", "nobody"), "no probe nobody"),
            (("scope", "--probe-id", "nobody"), "no probe nobody"),
            (("list", "--probe-id", "nobody"), "no tokens for probe nobody")):
        result = netq("collector", "token", *argv, "--db", db)
        assert result.returncode == 1, argv
        assert message in result.stderr


def test_measured_records_round_trip_as_json_lines_an_array_or_stdin(tmp_path: Path) -> None:
    """`probe measure … >> file` then `collector import file` stores what was measured; a
    JSON array is one document, not a line each; `-` reads standard input."""
    db = one_line_store(tmp_path)
    jsonl = tmp_path / "measured.jsonl"
    for _ in range(2):
        measured = netq("probe", "measure", "attempt", "--target", "127.0.0.1:1",
                        "--probe-id", "p-1", "--connection-id", "C-1")
        assert measured.returncode == 1  # nothing listens there: a failed attempt
        assert measured.stdout.count("\n") == 1  # one compact line
        with jsonl.open("a") as appended:
            appended.write(measured.stdout)
    pretty = netq("probe", "measure", "attempt", "--target", "127.0.0.1:1", "--pretty")
    assert pretty.stdout.count("\n") > 5
    imported = netq("collector", "import", str(jsonl), "--db", db)
    assert imported.stdout.strip().splitlines()[-1] == \
        "2 accepted, 0 duplicate, 0 conflict, 0 unregistered, 0 rejected", imported.stderr
    assert imported.returncode == 0

    records = [latency_record(connection_id="C-1") for _ in range(3)]
    array = tmp_path / "records.json"
    array.write_text("  \n" + json.dumps(records, indent=1))  # pretty, as a person saves it
    from_array = netq("collector", "import", str(array), "--db", db)
    assert from_array.stdout.strip().splitlines()[-1] == \
        "3 accepted, 0 duplicate, 0 conflict, 0 unregistered, 0 rejected", from_array.stderr
    from_stdin = subprocess.run(
        [sys.executable, "-m", "netq", "collector", "import", "-", "--db", db],
        input="\n".join(json.dumps(r) for r in records) + "\n{bad\n", capture_output=True,
        text=True, timeout=120)
    assert from_stdin.returncode == 1
    assert from_stdin.stdout.strip().splitlines()[-1] == \
        "0 accepted, 3 duplicate, 0 conflict, 0 unregistered, 1 rejected"
    assert "stdin: line 4: not JSON" in from_stdin.stderr
    broken = tmp_path / "broken.json"
    broken.write_text('[{"id": 1},')
    refused = netq("collector", "import", str(broken), "--db", db)
    assert refused.returncode == 1
    assert "broken.json: begins as a JSON array but is not one" in refused.stderr
    assert "Traceback" not in refused.stderr


def test_a_registry_saved_by_a_russian_locale_spreadsheet_imports(tmp_path: Path) -> None:
    """Excel's "CSV" in a Russian locale: Windows-1251, semicolons, CRLF; and "CSV UTF-8":
    a byte-order mark. Both import as they are; a file in neither encoding is refused whole
    with the command that converts it; a file wrong on every row says so in a bounded list."""
    from netq.collector.store import Store

    db = str(tmp_path / "netq.db")
    rows = ["C-1;fixed;pon;100000;50000;Минская;Борисов-узел-01;com645;",
            "C-2;fixed;adsl;10000;1000;\"Гомельская; юг\";Гомель-узел-02;com645;"]
    saved = tmp_path / "реестр.csv"
    saved.write_bytes(("\r\n".join([HEADER.strip().replace(",", ";"), *rows]) + "\r\n")
                      .encode("cp1251"))
    result = netq("connections", "import", str(saved), "--db", db)
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() == "2 inserted, 0 updated, 0 unchanged"
    assert "read as Windows-1251" in result.stderr
    store = Store.open(db)
    from datetime import date
    found = store.connection_at("C-2", date(2026, 8, 1))
    store.close()
    assert found is not None
    assert (found.region, found.node) == ("Гомельская; юг", "Гомель-узел-02")

    marked = tmp_path / "utf8.csv"
    marked.write_bytes(b"\xef\xbb\xbf" + (HEADER.replace(",", ";") + rows[0].replace(
        "C-1", "C-3") + "\n").encode())
    assert netq("connections", "import", str(marked), "--db", db).stdout.strip() == \
        "1 inserted, 0 updated, 0 unchanged"

    latin = tmp_path / "latin1.csv"
    latin.write_bytes((HEADER + "C-4,fixed,pon,100000,50000,Zürich-Süd,Größe,com645,\n")
                      .encode("latin-1"))
    refused = netq("connections", "import", str(latin), "--db", db)
    assert refused.returncode == 1
    assert "line 2: not UTF-8 text (byte 0xfc)" in refused.stderr
    assert "iconv -f WINDOWS-1251 -t UTF-8" in refused.stderr
    assert refused.stderr.count("\n") == 1

    wrong = tmp_path / "wrong.csv"
    wrong.write_text(HEADER + "".join(f"C-{n},fixed,pon,many,50000,R,N,com645,\n"
                                      for n in range(500)))
    bounded = netq("connections", "import", str(wrong), "--db", db)
    assert bounded.returncode == 1
    lines = bounded.stderr.strip().splitlines()
    assert len(lines) == 102  # 100 problems, how many more, and the verdict
    assert lines[100] == "… and 400 more problems"


def test_reading_a_store_that_is_not_there_never_creates_one(tmp_path: Path) -> None:
    """A mistyped --db, or a folder without netq.db, is an error naming the path and where
    it came from, not "no data" from a new empty store; only serving and importing create."""
    import os

    typo = tmp_path / "demo.bd"
    for argv in (["compliance", "--quarter", "2026Q4", "--db", str(typo)],
                 ["report", "status", "--db", str(typo)],
                 ["collector", "token", "list", "--db", str(typo)],
                 ["fleet", "plan", "history", "--db", str(typo)]):
        result = netq(*argv)
        assert result.returncode == 3, argv  # the environment's: exit 3
        assert f"no store at {typo} (named by --db)" in result.stderr, argv
        assert not typo.exists(), argv
    in_folder = subprocess.run([sys.executable, "-m", "netq", "compliance", "--quarter",
                                "2026Q4"], capture_output=True, text=True, timeout=60,
                               cwd=tmp_path, env={k: v for k, v in os.environ.items()
                                                  if k != "NETQ_DB"})
    assert in_folder.returncode == 3
    assert (f"no store at netq.db (named by the default: no --db, no $NETQ_DB, no db: in "
            f"{os.environ['NETQ_CONFIG']})") in in_folder.stderr
    assert not (tmp_path / "netq.db").exists()
    csv = tmp_path / "connections.csv"
    csv.write_text(HEADER + "C-1,fixed,pon,100000,50000,Minsk,n1,com645,\n")
    assert netq("connections", "import", str(csv), "--db", str(typo)).returncode == 0
    assert typo.exists()  # an import creates


def test_every_command_takes_the_store_and_norms_of_the_server_configuration(
        tmp_path: Path) -> None:
    """On a server, `netq fleet plan history`, `report status` or `compliance` with no --db
    read the store the collector's configuration names ($NETQ_CONFIG, else
    /etc/netq/collector.yaml), never an empty ./netq.db."""
    import os

    db = tmp_path / "server" / "netq.db"
    db.parent.mkdir()
    csv = tmp_path / "connections.csv"
    csv.write_text(HEADER + "C-1,fixed,pon,100000,50000,Minsk,n1,com645,\n")
    config = tmp_path / "collector.yaml"
    config.write_text(f"db: {db}\n")
    env = {**{k: v for k, v in os.environ.items() if k != "NETQ_DB"},
           "NETQ_CONFIG": str(config)}

    def run(*argv: str) -> subprocess.CompletedProcess[str]:
        return subprocess.run([sys.executable, "-m", "netq", *argv], capture_output=True,
                              text=True, timeout=120, cwd=tmp_path, env=env)

    assert run("connections", "import", str(csv)).returncode == 0
    assert db.exists()
    assert not (tmp_path / "netq.db").exists()
    listed = run("compliance", "connections", "--quarter", "2026Q4")
    assert listed.returncode == 0, listed.stderr
    assert json.loads(listed.stdout)["profile"] == "com645"  # the registry imported there
    for argv in (["fleet", "plan", "history"], ["report", "status"],
                 ["collector", "token", "list"]):
        assert run(*argv).returncode == 0, argv

    # the configuration's norms too: a broken thresholds file is named, not passed over
    broken = tmp_path / "thresholds.yaml"
    broken.write_text("version: 3\nprofiles: nonsense\n")
    config.write_text(f"db: {db}\nthresholds: {broken}\n")
    judged = run("compliance", "--quarter", "2026Q4")
    assert judged.returncode == 1
    assert str(broken) in judged.stderr, judged.stderr

    config.write_text("listen: 127.0.0.1:8080\n")  # no db: the default, said so
    missing = run("fleet", "plan", "history")
    assert missing.returncode == 3
    assert f"no store at netq.db (named by the default: no --db, no $NETQ_DB, no db: in " \
        f"{config})" in missing.stderr
    config.unlink()
    gone = run("compliance", "--quarter", "2026Q4", "--db", str(db))
    assert gone.returncode == 3
    assert f"no configuration at {config} (given by $NETQ_CONFIG)" in gone.stderr


def test_an_option_of_the_group_before_a_subcommand_is_refused_not_dropped(
        tmp_path: Path) -> None:
    db = one_line_store(tmp_path)
    dropped = netq("compliance", "--db", db, "connections", "--quarter", "2026Q4")
    assert dropped.returncode == 2
    assert "--db before `connections` would apply to nothing" in dropped.stderr
    placed = netq("compliance", "connections", "--quarter", "2026Q4", "--db", db)
    assert placed.returncode == 0, placed.stderr


def test_a_folder_that_cannot_be_written_a_locked_store_and_ctrl_c_are_one_line_each(
        tmp_path: Path) -> None:
    import contextlib
    import signal
    import sqlite3
    import time

    db = one_line_store(tmp_path)
    a_file = tmp_path / "not-a-folder"
    a_file.write_text("")
    out = netq("report", "quarterly", "--quarter", "2026Q3", "--db", db, "--format", "csv",
               "--out", str(a_file / "reports"))
    assert out.returncode == 3
    assert f"cannot use {a_file}" in out.stderr
    assert "(a part of the path is a file, not a folder)" in out.stderr
    assert "Traceback" not in out.stderr

    more = tmp_path / "more.csv"
    more.write_text(HEADER + "C-2,fixed,pon,100000,50000,Minsk,n1,com645,\n")
    writer = sqlite3.connect(db)
    writer.execute("BEGIN EXCLUSIVE")  # another writer holds the store past the busy timeout
    try:
        locked = netq("connections", "import", str(more), "--db", db)
    finally:
        writer.rollback()
        writer.close()
    assert locked.returncode == 3
    assert "the store is locked by another writer" in locked.stderr
    assert "Traceback" not in locked.stderr
    assert "SELECT" not in locked.stderr

    big = tmp_path / "big.jsonl"
    big.write_text("".join(json.dumps(latency_record(connection_id="C-1")) + "\n"
                           for _ in range(60_000)))
    importing = subprocess.Popen([sys.executable, "-m", "netq", "collector", "import", str(big),
                                  "--db", db], stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                                 text=True)

    def stored() -> int:
        with contextlib.closing(sqlite3.connect(db)) as reader:
            return int(reader.execute("SELECT count(*) FROM results").fetchone()[0])

    deadline = time.monotonic() + 60
    while stored() == 0 and time.monotonic() < deadline:  # storing has begun
        time.sleep(0.2)
    importing.send_signal(signal.SIGINT)
    stdout, stderr = importing.communicate(timeout=60)
    assert importing.returncode == 130
    assert "importing the file again is safe" in stderr
    assert "accepted" in stdout
    assert "Traceback" not in stderr


def test_serve_says_what_it_serves_and_takes_a_port_alone(tmp_path: Path) -> None:
    import httpx

    from netq import __version__
    from tests.lab import free_port, wait_for

    port = free_port()
    db = tmp_path / "netq.db"
    process = subprocess.Popen([sys.executable, "-m", "netq", "collector", "serve", "--db",
                                str(db), "--listen", str(port)], stderr=subprocess.PIPE,
                               text=True)
    try:
        assert process.stderr is not None
        first = process.stderr.readline()
        assert first.strip() == (f"netq {__version__} collector on http://127.0.0.1:{port}, "
                                 f"store sqlite:///{db}")

        def healthy() -> bool:
            try:
                return httpx.get(f"http://127.0.0.1:{port}/healthz", timeout=1).is_success
            except httpx.HTTPError:
                return False

        wait_for(healthy, "the collector on its port alone", timeout_s=30)
    finally:
        process.terminate()
        process.wait(10)


def test_a_pseudonym_key_too_short_to_keep_a_secret_is_refused(tmp_path: Path) -> None:
    db = one_line_store(tmp_path)
    key = tmp_path / "pseudonym.key"
    key.write_text("secret\n")
    out = tmp_path / "report"
    refused = netq("report", "quarterly", "--quarter", "2026Q3", "--out", str(out), "--db", db,
                   "--pseudonym-key-file", str(key))
    assert refused.returncode == 1
    assert f"{key}: a pseudonym key of 7 bytes; make one of 32 random bytes: head -c 32 " \
        f"/dev/urandom > {key}" in refused.stderr
    assert not out.exists()


def test_an_address_in_use_is_one_line_naming_it(tmp_path: Path) -> None:
    import socket

    taken = socket.create_server(("127.0.0.1", 0))
    port = taken.getsockname()[1]
    try:
        refused = netq("collector", "serve", "--db", str(tmp_path / "netq.db"), "--listen",
                       str(port))
    finally:
        taken.close()
    assert refused.returncode == 3
    assert refused.stderr == (f"Error: cannot listen on 127.0.0.1:{port}: Address already in "
                              "use; another program listens there (another collector?): stop "
                              "it, or choose another port (--listen, or listen: in the "
                              "configuration)\n")
