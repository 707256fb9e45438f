"""A small network lab of namespaces, built by the tests, torn down after them.

    subscriber ns                  node ns
    s0 198.18.0.1/24 ─── veth ─── n0 198.18.0.2/24   direct path, shaped with tc tbf
    s1 198.18.1.1/24 ─┐       ┌── n1 198.18.1.2/24   impaired path
                      w1 ─ wan ns ─ w2               (tests/impair.py: delay, loss)
                                   lo 198.18.2.1/32  a second availability target

Addresses come from 198.18.0.0/15, the range RFC 2544 sets aside for benchmarking, and
exist only inside these namespaces. The node runs iperf3 (5201, 5202), the STAMP reflector
(862), an HTTP server (8080) and dnsmasq (lab.test names, on both paths); the subscriber runs
snmpd on its own loopback, the agent a CPE or ONT would have.
"""

from __future__ import annotations

import contextlib
import json
import os
import shutil
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import jsonschema

from netq.record import schema_text

HERE = Path(__file__).parent
SUB_IP, NODE_IP = "198.18.0.1", "198.18.0.2"
SUB_IMPAIRED_IP, NODE_IMPAIRED_IP = "198.18.1.1", "198.18.1.2"
NODE_SECOND_IP = "198.18.2.1"
UNROUTED_IP = "198.18.3.3"  # the subscriber routes it to the node, which has no route onward
SNMP_AGENT = "127.0.0.1:16161"
SNMP_COMMUNITY = "netqlab"
RECORD_SCHEMA = jsonschema.Draft202012Validator(json.loads(schema_text()))
L2_GOODPUT = 1448 / 1514  # TCP payload per Ethernet frame (MTU 1500, TCP timestamps), as tbf counts


@dataclass
class MachineCpu:
    busy: float = 0.0  # the share of every CPU's time not idle, over the stretch


def _ticks() -> tuple[int, int]:
    """(all, idle + iowait) clock ticks of every CPU, read here from /proc/stat so that the
    probe's own reading is checked against the kernel, not against itself."""
    fields = [int(v) for v in Path("/proc/stat").read_text().split("\n", 1)[0].split()[1:]]
    return sum(fields[:8]), fields[3] + fields[4]


@contextlib.contextmanager
def machine_cpu() -> Iterator[MachineCpu]:
    """How busy the whole machine was while inside: whatever else runs on it counts."""
    seen = MachineCpu()
    total, idle = _ticks()
    try:
        yield seen
    finally:
        total_after, idle_after = _ticks()
        seen.busy = 1 - (idle_after - idle) / max(1, total_after - total)


@contextlib.contextmanager
def busy_cpu() -> Iterator[None]:
    """One spinning process pinned to each core, at normal priority, while inside: the probe
    competes for every core, as on a small, loaded probe box."""
    spinners = [subprocess.Popen(["taskset", "--cpu-list", str(cpu), sys.executable, "-c",
                                  "while True: pass"]) for cpu in sorted(os.sched_getaffinity(0))]
    try:
        yield
    finally:
        for spinner in spinners:
            spinner.kill()
            spinner.wait()


def run(*argv: str, check: bool = True, **kwargs: Any) -> subprocess.CompletedProcess[str]:
    return subprocess.run(argv, check=check, text=True, capture_output=True, **kwargs)


def ended(*processes: subprocess.Popen[Any]) -> None:
    """Those of `processes` still running, terminated and waited for (a test's clean-up)."""
    for process in processes:
        if process.poll() is None:
            process.terminate()
            process.wait(10)


def wait_for(condition: Callable[[], bool], what: str, timeout_s: float = 10) -> None:
    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline:
        if condition():
            return
        time.sleep(0.05)
    raise TimeoutError(f"lab: {what} not ready after {timeout_s} s")


def missing_requirements() -> str | None:
    """Why the lab cannot be built here, or None."""
    if os.geteuid() != 0:
        return "the lab needs root (network namespaces, raw sockets): run the tests as root"
    for program in ("ip", "tc", "ethtool", "iperf3", "snmpd", "dnsmasq"):
        if shutil.which(program) is None:
            return f"the lab needs {program}: run scripts/setup (apt-get install …)"
    return None


@dataclass
class Impairment:
    dropped: int = 0  # IPv4 packets the relay dropped
    packets: int = 0  # IPv4 packets it saw on the impaired direction


class Lab:
    def __init__(self, workdir: Path) -> None:
        tag = f"nq{os.getpid() % 100000}"
        self.sub, self.node, self.wan = f"{tag}s", f"{tag}n", f"{tag}w"
        self.workdir = workdir
        self.processes: list[subprocess.Popen[bytes]] = []
        self.etc = Path("/etc/netns") / self.sub

    # ---- building -------------------------------------------------------------------------
    def build(self) -> None:
        for ns in (self.sub, self.node, self.wan):
            run("ip", "netns", "add", ns)
            self.ns(ns, "sysctl", "-qw", "net.ipv6.conf.all.disable_ipv6=1")
            self.ns(ns, "ip", "link", "set", "lo", "up")
        run("ip", "link", "add", "s0", "netns", self.sub, "type", "veth", "peer", "n0",
            "netns", self.node)
        run("ip", "link", "add", "s1", "netns", self.sub, "type", "veth", "peer", "w1",
            "netns", self.wan)
        run("ip", "link", "add", "w2", "netns", self.wan, "type", "veth", "peer", "n1",
            "netns", self.node)
        for ns, dev, address in ((self.sub, "s0", SUB_IP), (self.node, "n0", NODE_IP),
                                 (self.sub, "s1", SUB_IMPAIRED_IP),
                                 (self.node, "n1", NODE_IMPAIRED_IP)):
            self.ns(ns, "ip", "addr", "add", f"{address}/24", "dev", dev)
            self.ns(ns, "ip", "link", "set", dev, "up")
        for dev in ("w1", "w2"):
            self.ns(self.wan, "ip", "link", "set", dev, "up")
        # No offloads: frames relayed by impair.py must carry finished checksums, and tbf must
        # see every wire frame with its own headers (a GSO super-packet would be counted as one),
        # so that the shaped rate is exact ground truth.
        for ns, devs in ((self.sub, ("s0", "s1")), (self.node, ("n0", "n1")),
                         (self.wan, ("w1", "w2"))):
            for dev in devs:
                self.ns(ns, "ethtool", "-K", dev, "tx", "off", "tso", "off", "gso", "off",
                        "gro", "off", check=False)
        self.ns(self.node, "ip", "addr", "add", f"{NODE_SECOND_IP}/32", "dev", "lo")
        self.ns(self.sub, "ip", "route", "add", "198.18.2.0/24", "via", NODE_IP)
        self.ns(self.sub, "ip", "route", "add", "198.18.3.0/24", "via", NODE_IP)
        self.etc.mkdir(parents=True, exist_ok=True)
        (self.etc / "resolv.conf").write_text(
            f"nameserver {NODE_IP}\noptions timeout:1 attempts:1\n")
        self.start_services()

    def start_services(self) -> None:
        for port in (5201, 5202):
            self.start_iperf3(port)
        self.spawn(self.node, sys.executable, "-m", "netq", "reflector", "serve",
                   "--listen", "0.0.0.0:862")
        self.spawn(self.node, sys.executable, "-m", "http.server", "8080", "--bind", NODE_IP,
                   "--directory", str(self.workdir))
        # the operator's resolver, on both paths: names under lab.test answer (nx.lab.test:
        # NXDOMAIN), anything else is REFUSED, as by a resolver that serves only its own
        self.spawn(self.node, "dnsmasq", "--keep-in-foreground", "--conf-file=/dev/null",
                   "--no-resolv", "--no-hosts", "--bind-interfaces",
                   f"--listen-address={NODE_IP},{NODE_IMPAIRED_IP}", "--user=root",
                   "--pid-file=", "--address=/iperf.lab.test/198.18.0.2",
                   "--address=/web.lab.test/198.18.0.2", "--address=/nx.lab.test/")
        snmpd_conf = self.workdir / "snmpd.conf"
        snmpd_conf.write_text(f"agentaddress udp:{SNMP_AGENT}\n"
                              f"rocommunity {SNMP_COMMUNITY} 127.0.0.1\n")
        self.spawn(self.sub, "snmpd", "-f", "-Lo", "-C", "-c", str(snmpd_conf),
                   "-p", str(self.workdir / "snmpd.pid"))
        wait_for(lambda: self.listening(self.node, "tcp", 5201), "iperf3 5201")
        wait_for(lambda: self.listening(self.node, "tcp", 5202), "iperf3 5202")
        wait_for(lambda: self.listening(self.node, "udp", 862), "STAMP reflector")
        wait_for(lambda: self.listening(self.node, "tcp", 8080), "HTTP server")
        wait_for(lambda: self.listening(self.node, "udp", 53), "dnsmasq")
        wait_for(lambda: self.listening(self.sub, "udp", 16161), "snmpd")

    def start_iperf3(self, port: int, realtime: bool = True) -> subprocess.Popen[bytes]:
        """The operator's measurement server, a box of its own in the field. Here it shares two
        cores with the suite, and a server starved long enough leaves the link idle; real-time
        priority keeps the ground truth (the shaped rate) steady. The probe keeps normal
        priority: its own stalls stay in what the tests see."""
        priority = ("chrt", "--fifo", "50") if realtime else ()
        return self.spawn(self.node, *priority, "iperf3", "--server", "--bind", NODE_IP,
                          "--port", str(port))

    def teardown(self) -> None:
        for process in self.processes:
            with contextlib.suppress(ProcessLookupError):
                process.send_signal(signal.SIGKILL)
            process.wait()
        for ns in (self.sub, self.node, self.wan):
            run("ip", "netns", "del", ns, check=False)
        shutil.rmtree(self.etc, ignore_errors=True)

    # ---- using ----------------------------------------------------------------------------
    def ns(self, ns: str, *argv: str, check: bool = True) -> subprocess.CompletedProcess[str]:
        return run("ip", "netns", "exec", ns, *argv, check=check)

    def spawn(self, ns: str, *argv: str, **kwargs: Any) -> subprocess.Popen[bytes]:
        kwargs.setdefault("stdout", subprocess.DEVNULL)
        kwargs.setdefault("stderr", subprocess.DEVNULL)
        process = subprocess.Popen(["ip", "netns", "exec", ns, *argv], **kwargs)
        self.processes.append(process)
        return process

    def listening(self, ns: str, proto: str, port: int) -> bool:
        flag = "-ltnH" if proto == "tcp" else "-lunH"
        return f":{port} " in self.ns(ns, "ss", flag, check=False).stdout

    def probe(self, kind: str, *options: str, runner: tuple[str, ...] = (),
              cgroup: Path | None = None) -> dict[str, Any]:
        """`netq probe measure KIND … --json` on the subscriber side (under `runner`, e.g. a
        setpriv command line; inside `cgroup`, see `tests.cgroup.cpu_quota`); its one JSON
        document."""
        process = subprocess.Popen(
            ["ip", "netns", "exec", self.sub, *runner, sys.executable, "-m", "netq", "probe",
             "measure", kind, *options, "--probe-id", "lab-probe", "--connection-id", "LAB-1",
             "--json"], stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
        if cgroup is not None:  # long before the probe starts its test program
            (cgroup / "cgroup.procs").write_text(str(process.pid))
        stdout, stderr = process.communicate()
        if not stdout.strip():
            raise AssertionError(f"probe printed nothing; stderr: {stderr}")
        record: dict[str, Any] = json.loads(stdout)
        assert (process.returncode == 0) == record["ok"], stderr
        RECORD_SCHEMA.validate(record)  # every record the lab sees keeps the wire contract
        return record

    def iperf3_baseline(self, port: int, direction: str, duration: float, omit: float,
                        streams: int) -> float:
        """The same speed test through the plain iperf3 command: bits per second."""
        argv = ["iperf3", "-c", NODE_IP, "-p", str(port), "-J", "-t", f"{duration:g}",
                "-O", f"{omit:g}", "-P", str(streams)]
        if direction == "down":
            argv.append("-R")
        report = json.loads(self.ns(self.sub, *argv).stdout)
        return float(report["end"]["sum_received"]["bits_per_second"])

    def shape(self, rate_mbit: float | None) -> None:
        """tbf on both ends of the direct path; None removes it."""
        for ns, dev in ((self.sub, "s0"), (self.node, "n0")):
            self.ns(ns, "tc", "qdisc", "del", "dev", dev, "root", check=False)
            if rate_mbit is not None:
                burst = max(64_000, int(rate_mbit * 1e6 / 8 * 0.004))
                self.ns(ns, "tc", "qdisc", "add", "dev", dev, "root", "tbf", "rate",
                        f"{rate_mbit}mbit", "burst", str(burst), "latency", "50ms")

    @contextlib.contextmanager
    def impaired(self, delay_ms: float = 0, loss: float = 0,
                 seed: int = 1) -> Iterator[Impairment]:
        """Delay and drop subscriber→node packets on the impaired path while inside; on leaving,
        the yielded Impairment holds what the relay really dropped."""
        process = self.spawn(self.wan, sys.executable, str(HERE / "impair.py"), "--near", "w1",
                             "--far", "w2", "--delay-ms", str(delay_ms), "--loss", str(loss),
                             "--seed", str(seed), stdout=subprocess.PIPE)
        assert process.stdout is not None
        assert process.stdout.readline().strip() == b"ready"
        impairment = Impairment()
        try:
            yield impairment
        finally:
            process.terminate()
            words = process.stdout.readline().split()  # b"dropped D of N"
            process.wait()
            if len(words) == 4:
                impairment.dropped, impairment.packets = int(words[1]), int(words[3])

    def link(self, up: bool) -> None:
        """Take the node's side of the direct path down (or back up): the far side is gone."""
        self.ns(self.node, "ip", "link", "set", "n0", "up" if up else "down")

    def if_index(self, dev: str) -> int:
        return int(self.ns(self.sub, "cat", f"/sys/class/net/{dev}/ifindex").stdout)

    def kernel_counter(self, dev: str, name: str) -> int:
        return int(self.ns(self.sub, "cat", f"/sys/class/net/{dev}/statistics/{name}").stdout)


@contextlib.contextmanager
def built_lab(workdir: Path) -> Iterator[Lab]:
    """A lab for the length of a `with` block; SystemExit with the reason if it cannot be."""
    reason = missing_requirements()
    if reason:
        raise SystemExit(f"lab: {reason}")
    lab = Lab(workdir)
    try:
        lab.build()
        yield lab
    finally:
        lab.teardown()


def free_port(kind: int = socket.SOCK_STREAM) -> int:
    with socket.socket(socket.AF_INET, kind) as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])
