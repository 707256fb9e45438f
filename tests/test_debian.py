"""The Debian packages as an operator gets them: built from this checkout by scripts/build-debs,
checked by lintian, installed on a clean Debian root, used, removed and purged.

The tests of this module run in order: install the probe, add the server, run the loop, remove,
purge; each stage starts from what the one before left."""

from __future__ import annotations

import re
import shutil
import subprocess
import time
from collections import Counter
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path

import httpx
import pytest

from netq.collector.compliance.quarter import Quarter
from tests import debian, guide
from tests.lab import free_port
from tests.packaging import HEAVY, ROOT, VERSION

# a Debian root made with debootstrap: as root, minutes
pytestmark = [pytest.mark.root, pytest.mark.slow,
              pytest.mark.skipif(debian.missing_requirements() is not None,
                                 reason=str(debian.missing_requirements()))]
PACKAGES = ("netq-probe", "netq-server")


@pytest.fixture(scope="module")
def root(tmp_path_factory: pytest.TempPathFactory) -> Iterator[debian.DebianRoot]:
    made = debian.DebianRoot(tmp_path_factory.mktemp("debian") / "root")
    yield made
    made.remove()


@pytest.fixture(scope="module")
def debs(root: debian.DebianRoot,
         tmp_path_factory: pytest.TempPathFactory) -> Iterator[dict[str, Path]]:
    """The two packages, built by the README's command while debootstrap makes the root; lintian
    starts on them at once, to read while the installs run (its test is the module's last)."""
    out = tmp_path_factory.mktemp("debs")
    started = time.monotonic()
    built = subprocess.run([str(ROOT / "scripts" / "build-debs"), str(out)],
                           capture_output=True, text=True)
    assert built.returncode == 0, built.stdout[-3000:] + built.stderr[-3000:]
    print(f"\nscripts/build-debs: {time.monotonic() - started:.0f} s")
    found = {name: next(out.glob(f"{name}_{VERSION}_*.deb")) for name in PACKAGES}
    report = out / "lintian.txt"
    with report.open("w") as written:
        LINTIAN["run"] = subprocess.Popen(
            ["lintian", "--tag-display-limit", "0", *map(str, found.values())],
            stdout=written, stderr=subprocess.STDOUT, text=True)
    LINTIAN["report"] = report
    yield found
    running = LINTIAN.pop("run", None)
    if isinstance(running, subprocess.Popen) and running.poll() is None:
        running.kill()
        running.wait()


# lintian's process and its report, started by `debs`
LINTIAN: dict[str, object] = {}


def test_the_debian_version_is_the_package_version() -> None:
    first = (ROOT / "debian" / "changelog").read_text().splitlines()[0]
    assert first.startswith(f"netq ({VERSION})"), first
    assert f"## {VERSION}" in (ROOT / "CHANGELOG.md").read_text()


def test_the_probe_package_installs_on_a_clean_debian_and_measures(
        root: debian.DebianRoot, debs: dict[str, Path]) -> None:
    shutil.copy(debs["netq-probe"], root.file("/tmp"))
    root.run("apt-get", "update", "-qq")
    root.run("env", "DEBIAN_FRONTEND=noninteractive", "apt-get", "install", "-y", "-qq",
             "--no-install-recommends", f"/tmp/{debs['netq-probe'].name}")

    assert root.run("netq", "--version").stdout.strip() == f"netq, version {VERSION}"
    assert root.run("sh", "-c", "command -v netq").stdout.strip() == "/usr/bin/netq"
    assert root.run("getent", "passwd", "netq").stdout.split(":")[5] == "/var/lib/netq"
    conffiles = root.run("dpkg-query", "-W", "-f=${Conffiles}", "netq-probe").stdout
    assert "/etc/netq/probe.yaml" in conffiles
    assert (root.run("stat", "-c", "%U %a", "/var/lib/netq/probe").stdout.strip()
            == "netq 750")
    wants = root.file("/etc/systemd/system/multi-user.target.wants")
    assert (wants / "netq-probe.service").is_symlink()  # enabled, started once configured
    assert not (wants / "netq-reflector.service").exists()  # a node's, enabled by hand
    assert root.file("/lib/systemd/system/netq-iperf3@.service").exists()
    # the documents the units and the README point at
    assert root.file("/usr/share/doc/netq-probe/docs/operations.md").exists()
    assert "file:/usr/share/doc/netq-probe/docs/operations.md" in root.file(
        "/lib/systemd/system/netq-probe.service").read_text()
    # lean: the probe's environment holds none of the collector's or the report's libraries
    installed = root.run("/usr/lib/netq-probe/bin/python", "-c",
                         "from importlib.metadata import distributions as d; "
                         "print('\\n'.join(x.metadata['Name'].lower() for x in d()))").stdout
    assert not set(installed.split()) & HEAVY

    # Tab completes, in the three shells, with the `netq` the alternative chose
    for link in ("/usr/share/bash-completion/completions/netq",
                 "/usr/share/zsh/vendor-completions/_netq",
                 "/usr/share/fish/vendor_completions.d/netq.fish"):
        target = root.run("readlink", "-f", link).stdout.strip()
        assert target.startswith("/usr/lib/netq-probe/share/completions/"), (link, target)
        assert "_NETQ_COMPLETE" in root.file(target).read_text()
    offered = root.run("env", "COMP_WORDS=netq pro", "COMP_CWORD=1",
                       "_NETQ_COMPLETE=bash_complete", "netq").stdout
    assert "plain,probe" in offered.splitlines()

    measured = root.run("netq", "probe", "measure", "latency", "--target", "127.0.0.1",
                        "--count", "3", "--interval", "0.05", "--json")
    assert '"received": 3' in measured.stdout


def test_the_server_package_installs_beside_it_and_the_whole_loop_runs(
        root: debian.DebianRoot, debs: dict[str, Path]) -> None:
    shutil.copy(debs["netq-server"], root.file("/tmp"))
    root.run("env", "DEBIAN_FRONTEND=noninteractive", "apt-get", "install", "-y", "-qq",
             "--no-install-recommends", f"/tmp/{debs['netq-server'].name}")
    # the server's environment holds every command, so it is the one on the PATH
    assert root.run("readlink", "-f", "/usr/bin/netq").stdout.strip() == \
        "/usr/lib/netq-server/bin/netq"
    assert root.file("/usr/share/netq/prometheus/netq.rules.yml").exists()
    assert root.file("/usr/share/netq/prometheus/alertmanager.yml").exists()
    # what each version changes, beside the guide that cites it
    for package in PACKAGES:
        changes = root.file(f"/usr/share/doc/{package}/CHANGELOG.md").read_text()
        assert f"\n## {VERSION} — " in changes
    # several collectors on one store: instances enabled by hand, one per port
    assert root.file("/lib/systemd/system/netq-collector@.service").exists()
    assert not any(root.file("/etc/systemd/system/multi-user.target.wants").glob(
        "netq-collector@*"))

    db = "/var/lib/netq/collector/netq.db"  # as /etc/netq/collector.yaml says
    root.file("/tmp/connections.csv").write_text(
        "connection_id,service,technology,tariff_down_kbps,tariff_up_kbps,region,node,profile,"
        "effective_from\nC-1,fixed,pon,100000,50000,г. Минск,Минск-узел-01,com645,\n")
    root.run("netq", "connections", "import", "/tmp/connections.csv", "--db", db, user="netq")
    token = root.run("netq", "collector", "token", "create", "--probe-id", "p-1",
                     "--connection", "C-1", "--db", db, user="netq").stdout.strip()
    root.file("/etc/netq/probe.token").write_text(token + "\n")
    root.run("chgrp", "netq", "/etc/netq/probe.token")
    root.file("/etc/netq/probe.token").chmod(0o640)

    collector_port, reflector_port, metrics_port = free_port(), free_port(), free_port()
    root.file("/etc/netq/probe.yaml").write_text(
        "probe_id: p-1\nconnection_id: C-1\ntechnology: pon\ntariff_down_kbps: 100000\n"
        "tariff_up_kbps: 50000\nspool: /var/lib/netq/probe/spool.db\n"
        f"metrics_listen: 127.0.0.1:{metrics_port}\n"
        f"collector: {{url: 'http://127.0.0.1:{collector_port}', "
        "token_file: /etc/netq/probe.token, every: 1}\n"
        f"tests: [{{kind: latency, every: 2s, target: '127.0.0.1:{reflector_port}', "
        "method: udp, count: 5, interval: 0.05}]\n")
    # the units' own command lines, as the units' user
    services = [
        root.popen("netq", "collector", "serve", "--config", "/etc/netq/collector.yaml",
                   "--listen", f"127.0.0.1:{collector_port}", user="netq",
                   stderr=subprocess.PIPE),
        root.popen("netq", "reflector", "serve", "--listen", f"127.0.0.1:{reflector_port}",
                   user="netq", stderr=subprocess.PIPE),
        root.popen("netq", "probe", "run", "--config", "/etc/netq/probe.yaml", user="netq",
                   stderr=subprocess.PIPE),
    ]
    try:
        deadline = time.monotonic() + 60
        accepted = 0.0
        while accepted < 2:
            assert time.monotonic() < deadline, "the probe's results never reached the collector"
            assert all(s.poll() is None for s in services), [s.communicate()[1][-2000:]
                                                              for s in services if s.poll()]
            time.sleep(1)
            try:
                metrics = httpx.get(f"http://127.0.0.1:{collector_port}/metrics").text
            except httpx.TransportError:
                continue
            found = re.search(r'netq_collector_records_total\{outcome="accepted"\} (\S+)', metrics)
            accepted = float(found.group(1)) if found else 0.0
    finally:
        for service in services:
            service.terminate()
            service.communicate(timeout=30)

    quarter = str(Quarter.of(datetime.now(UTC)))
    written = root.run("netq", "report", "quarterly", "--quarter", quarter, "--format", "pdf",
                       "--out", "/tmp/report", "--db", db, user="netq")
    pdf = root.file(written.stdout.split()[0])
    assert pdf.read_bytes().startswith(b"%PDF"), written.stderr


# The guide's commands this test does not run, each with the reason; every other command of
# docs/operations.md runs as written (examples of names it cannot know are filled in, below)
NOT_RUN = {
    "apt install postgresql": "PostgreSQL: tests/test_backup.py and tests/test_replica.py",
    "runuser -u postgres -- createuser netq": "PostgreSQL",
    "runuser -u postgres -- createdb -O netq netq": "PostgreSQL",
    "runuser -u netq -- pg_restore --no-owner -d netq "
    "/var/backups/netq/netq-2026-12-04T030012Z.dump": "PostgreSQL: tests/test_backup.py",
    "runuser -u netq -- pg_dump -Fc -d netq -t results_y2025m01 -f "
    "/var/backups/netq/results_y2025m01.dump": "PostgreSQL",
    'runuser -u netq -- psql -d netq -c "ALTER TABLE results DETACH PARTITION '
    'results_y2025m01" -c "DROP TABLE results_y2025m01"':
        "PostgreSQL: tests/test_report_line.py drops a partition",
    "runuser -u postgres -- pg_basebackup -h PRIMARY -U replicator -D "
    "/var/lib/postgresql/15/replica -R -X stream": "PostgreSQL: tests/test_replica.py",
    "netq compliance --db postgresql://netq@replica/netq --quarter 2026Q4":
        "PostgreSQL: tests/test_replica.py",
    "netq compliance --db postgresql://netq@replica/netq --primary "
    "postgresql://netq@primary/netq --quarter 2026Q4": "PostgreSQL: tests/test_replica.py",
    "netq report quarterly --db postgresql://netq@replica/netq --primary "
    "postgresql://netq@primary/netq --quarter 2026Q4 --out /srv/reports":
        "PostgreSQL: tests/test_replica.py",
    "systemctl edit netq-probe": "an editor; the drop-in's lines are the units' own",
    "runuser -u netq -- netq probe spool discard --config /etc/netq/probe.yaml ID …":
        "an id that `spool list` shows; the spool is empty",
}
SYSTEMCTL = re.compile(r"^systemctl (?:enable|disable) --now ((?:[\w@.-]+ ?)+)$")


def test_the_operations_guide_runs_as_written(root: debian.DebianRoot,
                                              debs: dict[str, Path]) -> None:
    """Every command of docs/operations.md, in its order, on the packages just installed:
    the guide cannot drift from the program. A command that opens the store leaves it to
    the netq user; the backups it makes, from the shell and from cron, restore."""
    written = guide.commands()
    assert len(written) > 40  # the guide as the parser reads it
    assert set(NOT_RUN) <= {c.text for c in written}, "NOT_RUN names what the guide lost"
    folder = root.file("/tmp/guide")
    folder.mkdir()
    for deb in debs.values():
        shutil.copy(deb, folder)
    root.file("/srv/registry").mkdir(parents=True)
    root.file("/srv/registry/connections.csv").write_text(  # the operator's own registry
        "connection_id,service,technology,tariff_down_kbps,tariff_up_kbps,region,node,profile,"
        "effective_from\nC-100045,fixed,pon,100000,50000,г. Минск,Минск-узел-01,com645,\n"
        "C-100046,fixed,pon,100000,50000,г. Минск,Минск-узел-01,com645,\n")
    for command in written:
        text = command.text.replace("_NEW_", f"_{VERSION}_")
        if text in NOT_RUN:
            continue
        units = SYSTEMCTL.match(text)
        if units:  # no systemd in a chroot: the units it names are installed
            for unit in units.group(1).split():
                name = unit if "." in unit else f"{unit}.service"
                template = re.sub(r"@[^.]+", "@", name)
                assert root.file(f"/lib/systemd/system/{template}").exists(), (text, name)
            continue
        if "netq-2026-12-04T030012Z.db" in text:  # the guide's example: the newest backup
            newest = sorted(root.file("/var/backups/netq").glob("netq-*.db"))[-1]
            text = text.replace("netq-2026-12-04T030012Z.db", newest.name)
        if command.prompt == "cron":
            *_, user = text.split()[:6]
            line = " ".join(text.split()[6:])
            # cron's environment: its own PATH and no locale
            done = root.run("env", "-i", "SHELL=/bin/sh", "PATH=/usr/bin:/bin",
                            f"HOME=/var/lib/{user}", f"LOGNAME={user}", "/bin/sh", "-c", line,
                            user=user, check=False)
        else:
            done = root.run("sh", "-c", f"cd /tmp/guide && {text}", check=False)
        assert done.returncode == 0, (text, done.stdout[-2000:], done.stderr[-2000:])

    # what the transcript should have left
    status = root.run("runuser", "-u", "netq", "--", "netq", "report", "status").stdout
    assert "https://isp.example/quality/2026Q3/" in status, status
    assert list(root.file("/var/lib/netq/reports").glob("**/*.html"))
    assert root.file("/var/lib/netq/enrol/ont-minsk-0002/probe.token").exists()
    assert len(list(root.file("/var/backups/netq").glob("netq-*.db"))) >= 1
    owners = root.run("find", "/var/lib/netq/collector", "-not", "-user", "netq").stdout
    assert owners.strip() == "", f"left to root: {owners}"
    history = root.run("runuser", "-u", "netq", "--", "netq", "fleet", "plan", "history")
    assert history.returncode == 0, history.stderr  # the restored store serves


def test_an_upgrade_keeps_the_configuration_the_operator_changed(
        root: debian.DebianRoot, debs: dict[str, Path]) -> None:
    changed = root.file("/etc/netq/probe.yaml").read_text()
    # the same version again runs every maintainer script on their upgrade path
    root.run("dpkg", "-i", *(f"/tmp/{deb.name}" for deb in debs.values()))
    assert root.file("/etc/netq/probe.yaml").read_text() == changed
    assert root.run("netq", "--version").stdout.strip() == f"netq, version {VERSION}"


def test_removing_keeps_configuration_and_data_and_purging_deletes_them(
        root: debian.DebianRoot) -> None:
    root.run("dpkg", "-r", *PACKAGES)
    assert not root.file("/usr/bin/netq").exists()
    assert not root.file("/usr/lib/netq-probe").exists()
    for kept in ("/etc/netq/probe.yaml", "/etc/netq/collector.yaml", "/etc/netq/probe.token",
                 "/var/lib/netq/collector/netq.db", "/var/lib/netq/probe/spool.db"):
        assert root.file(kept).exists(), kept
    # purging one package leaves the other's configuration and data
    root.run("dpkg", "-P", "netq-server")
    assert not root.file("/var/lib/netq/collector").exists()
    assert not root.file("/etc/netq/collector.yaml").exists()
    assert root.file("/var/lib/netq/probe/spool.db").exists()
    assert root.file("/etc/netq/probe.yaml").exists()
    root.run("dpkg", "-P", "netq-probe")
    # what the operator made, following the guide, stays: the pseudonym key, the reports and
    # enrolment files under the netq user's home, the backups
    assert sorted(p.name for p in root.file("/etc/netq").iterdir()) == ["pseudonym.key"]
    assert sorted(p.name for p in root.file("/var/lib/netq").iterdir()) == ["enrol", "reports"]
    assert list(root.file("/var/backups/netq").glob("netq-*.db"))
    assert not root.file("/etc/systemd/system/multi-user.target.wants/netq-probe.service"
                         ).exists()


def test_lintian_reports_no_errors(debs: dict[str, Path]) -> None:
    running = LINTIAN["run"]
    assert isinstance(running, subprocess.Popen)
    code = running.wait(timeout=600)
    output = Path(str(LINTIAN["report"])).read_text()
    tags = [line for line in output.splitlines() if re.match(r"[EWIXPO]: ", line)]
    print("\nlintian:", dict(Counter(" ".join(t.split()[:3]) for t in tags)))
    errors = [t for t in tags if t.startswith("E: ")]
    assert not errors, "\n".join(errors)
    assert code == 0, output
