"""Bytes a speed test's TCP streams delivered, counted by the probe's kernel, not by iperf3.

iperf3 counts a byte when the program reads it. A probe whose CPU is busy reads late: bytes
that arrived during the warm-up are counted in the measured window, bytes that arrived before
its end are left out, and the reading moves by as much as the stall. The probe's own TCP
counts as segments arrive, whatever the program does. A thread reads its `tcp_info` through
sock_diag (pyroute2's DiagSocket) at instants it stamps on the monotonic clock before and
after each read, so a stall of the probe moves when a sample is taken, never what it says
about that instant.

Bytes delivered in order (`bytes_received` on a download's receiving sockets, `bytes_acked`
on an upload's sending sockets; RFC 4898 HCThruOctetsReceived / Acked) stand still while a
lost segment is awaited, and the segments behind it are then counted at once: a loss at the
warm-up's end moves them into the window (in the lab, up to +2.4 % for a download and +4.8 %
for an upload through 10 Mbit/s). So each stream's count adds the bytes that had arrived out
of order at that instant. An upload's sender knows them exactly: the segments the receiver
has selectively acknowledged (`sacked` × `snd_mss`). A download's receiver does not export
its out-of-order queue; it counts every data segment that arrives (`data_segs_in`), so
`data_segs_in` × `rcv_mss` − `bytes_received` rises while segments wait behind a hole and
falls back once it is filled. What it has in excess of its lowest later value is the held
bytes; a permanent rise (a segment that arrived twice, a short segment) is not.

The window follows iperf3's own: its streams are first seen at `seen`, after a sample
without them at `unseen`; they were opened in between. The warm-up ends no earlier than
`seen + omit` and the test no earlier than `unseen + omit + duration`, so the window between
the first sample after the one and the last before the other lies inside the test's
measured time, whatever the probe's scheduling.
"""

from __future__ import annotations

import os
import socket
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any, Literal

from netq.probe import cpu_load

Direction = Literal["down", "up"]
# how precisely an edge's instant must be known: the read took at most this long
EDGE_SPREAD_S = 0.02
STARTUP_PERIOD_S = 0.01  # until the streams are seen: that instant bounds the window
STEADY_PERIOD_S = 0.5  # between the edges: what a test that broke off had delivered
EDGE_APPROACH_S = 0.3  # sample densely this long before each edge


@dataclass(frozen=True)
class Sample:
    """Per socket (inode): (bytes delivered in order, the out-of-order estimate), read between
    `before` and `after`."""

    before: float
    after: float
    delivered: dict[int, tuple[int, int]]
    cpu: cpu_load.Reading | None = None

    @property
    def at(self) -> float:
        return (self.before + self.after) / 2

    @property
    def sharp(self) -> bool:
        return self.after - self.before <= EDGE_SPREAD_S


@dataclass(frozen=True)
class Window:
    bytes: int
    seconds: float
    segment: Segment | None = None
    load: cpu_load.Load | None = None  # the probe's CPU over the same window


@dataclass(frozen=True)
class Segment:
    """A full data segment of the test's streams: its TCP payload, and the TCP and IP headers
    around it (options included), as the kernel reports them. What the collector needs to
    state the speed at the IP or Ethernet layer a tariff is sold at."""

    payload_bytes: int
    header_bytes: int


TCPI_OPT_TIMESTAMPS = 1
TCP_HEADER, TIMESTAMPS_OPTION = 20, 12
IP_HEADER = {int(socket.AF_INET): 20, int(socket.AF_INET6): 40}


def segment(info: Any, family: int, direction: Direction) -> Segment:
    """The data segment's geometry from one stream's tcp_info: the payload the kernel sizes
    segments to (the sender's MSS, net of options; the receiver's estimate of it), and the
    headers that carry it."""
    mss = int(info["tcpi_rcv_mss"] if direction == "down" else info["tcpi_snd_mss"])
    options = TIMESTAMPS_OPTION if int(info["tcpi_options"]) & TCPI_OPT_TIMESTAMPS else 0
    return Segment(mss, IP_HEADER[family] + TCP_HEADER + options)


def process_sockets(pid: int) -> set[int]:
    """Inodes of the sockets a process holds open."""
    inodes: set[int] = set()
    try:
        names = os.listdir(f"/proc/{pid}/fd")
    except FileNotFoundError:
        return inodes
    for name in names:
        try:
            target = os.readlink(f"/proc/{pid}/fd/{name}")
        except FileNotFoundError:
            continue
        if target.startswith("socket:["):
            inodes.add(int(target[8:-1]))
    return inodes


def edges(samples: list[Sample], streams: int, omit: float,
          duration: float) -> tuple[int, float, float] | None:
    """(index of the first sample with the streams, earliest start, latest end) of the window;
    None until the streams are seen after a sample without them."""
    seen_at = next((i for i, s in enumerate(samples) if len(s.delivered) > streams), None)
    if not seen_at:  # never seen, or already open at the first sample: no bound on when
        return None
    return (seen_at, samples[seen_at].after + omit,
            samples[seen_at - 1].before + omit + duration)


def window(samples: list[Sample], streams: int, omit: float,
           duration: float) -> Window | None:
    """Bytes and seconds between the window's edge samples (module docstring); for a test
    that broke off, up to the last sample in which every stream was still open. None when no
    such window exists: the streams were never seen, or broke off in the warm-up."""
    bounds = edges(samples, streams, omit, duration)
    if bounds is None:
        return None
    seen_at, start_after, end_before = bounds
    opened = samples[seen_at].delivered.keys()
    start = end = None
    for index in range(seen_at, len(samples)):
        s = samples[index]
        if s.after > end_before:
            break
        if not opened <= s.delivered.keys():
            break  # a stream closed: the test broke off
        if s.sharp and s.before >= start_after:
            if start is None:
                start = index
            else:
                end = index
    if start is None or end is None:
        return None
    first, last = samples[start], samples[end]
    delivered = sum(arrived(samples, end, inode) - arrived(samples, start, inode)
                    for inode in first.delivered)
    load = None if first.cpu is None or last.cpu is None else \
        cpu_load.between(first.cpu, last.cpu)
    return Window(delivered, last.at - first.at, load=load)


def arrived(samples: list[Sample], index: int, inode: int) -> int:
    """A stream's bytes at one sample: delivered in order plus those held out of order, the
    estimate's excess over its lowest value from then on (module docstring)."""
    in_order, estimate = samples[index].delivered[inode]
    floor = min(s.delivered[inode][1] for s in samples[index:] if inode in s.delivered)
    return in_order + estimate - floor


@dataclass
class DeliveredBytes:
    """Samples the delivered bytes of one process's TCP sockets from a thread of its own.

    `start` returns once a first sample is taken with no process attached: started before the
    test program, that sample is the `unseen` bound."""

    direction: Direction
    streams: int
    omit: float
    duration: float
    pid: int | None = None
    samples: list[Sample] = field(default_factory=list)
    segment: Segment | None = None
    error: str | None = None
    _ready: threading.Event = field(default_factory=threading.Event)
    _stop: threading.Event = field(default_factory=threading.Event)
    _thread: threading.Thread | None = None

    def start(self) -> None:
        self._thread = threading.Thread(target=self._run, name="tcp-delivered", daemon=True)
        self._thread.start()
        self._ready.wait()

    def attach(self, pid: int) -> None:
        self.pid = pid

    def stop(self) -> Window | None:
        """Stop sampling; the measured window, or None (see `error` for why, if it failed)."""
        self._stop.set()
        if self._thread is not None:
            self._thread.join()
        if self.error is not None:
            return None
        found = window(self.samples, self.streams, self.omit, self.duration)
        return None if found is None else \
            Window(found.bytes, found.seconds, self.segment, found.load)

    def load(self) -> cpu_load.Load | None:
        """The probe's CPU while the test program ran, for when no window could be measured:
        from the first to the last sample that read the program's own counters."""
        read = [s.cpu for s in self.samples if s.cpu is not None and s.cpu.waited_ns is not None]
        return cpu_load.between(read[0], read[-1]) if len(read) > 1 else None

    def _run(self) -> None:
        try:
            from pyroute2 import DiagSocket

            with DiagSocket() as diag:
                diag.bind()
                read = self._reader(diag)
                while not self._stop.is_set():
                    before = time.monotonic()
                    delivered = read()
                    after = time.monotonic()
                    cpu = cpu_load.read(self.pid, (before + after) / 2)
                    self.samples.append(Sample(before, after, delivered, cpu))
                    self._ready.set()
                    self._stop.wait(self._pause())
        except Exception as exc:  # the test goes on with iperf3's own count
            self.error = f"{type(exc).__name__}: {exc}"
        finally:
            self._ready.set()

    def _reader(self, diag: Any) -> Callable[[], dict[int, tuple[int, int]]]:
        from pyroute2.netlink.diag import SS_CONN

        info_extension = 1 << (2 - 1)  # INET_DIAG_INFO

        def counts(info: Any) -> tuple[int, int]:
            if self.direction == "down":
                received = int(info["tcpi_bytes_received"])
                return received, info["tcpi_data_segs_in"] * info["tcpi_rcv_mss"] - received
            return int(info["tcpi_bytes_acked"]), info["tcpi_sacked"] * info["tcpi_snd_mss"]

        def read() -> dict[int, tuple[int, int]]:
            if self.pid is None:
                return {}
            mine = process_sockets(self.pid)
            delivered = {}
            for family in (socket.AF_INET, socket.AF_INET6):
                for message in diag.get_sock_stats(
                        family=family, states=SS_CONN, extensions=info_extension):
                    inode = message["idiag_inode"]
                    info = message.get_attr("INET_DIAG_INFO")
                    if inode in mine and info is not None:
                        delivered[inode] = counts(info)
                        # a receiver's estimate grows from 536 to the sender's MSS
                        found = segment(info, family, self.direction)
                        if self.segment is None or \
                                found.payload_bytes > self.segment.payload_bytes:
                            self.segment = found
            return delivered

        return read

    def _pause(self) -> float:
        """Densely while the streams are awaited and just before each edge, sparsely between."""
        bounds = edges(self.samples, self.streams, self.omit, self.duration)
        if bounds is None:  # awaiting the streams, unless they were there from the start
            opened = self.samples and len(self.samples[0].delivered) > self.streams
            return STEADY_PERIOD_S if opened else STARTUP_PERIOD_S
        seen_at, start_after, end_before = bounds
        now = time.monotonic()
        if now >= start_after and not any(
                s.sharp and s.before >= start_after for s in self.samples[seen_at:]):
            return STARTUP_PERIOD_S  # the window's first edge is still to be read sharply
        for edge in (start_after, end_before):
            if now < edge:
                ahead = edge - now
                if ahead <= EDGE_APPROACH_S:
                    return STARTUP_PERIOD_S
                return min(STEADY_PERIOD_S, ahead - EDGE_APPROACH_S)
        return STEADY_PERIOD_S
