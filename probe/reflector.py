"""The STAMP Session-Reflector (RFC 8762, stateless mode) that runs at a node.

Stateless: the reply carries the sender's sequence number, so the reflector keeps nothing
per session and any number of probes can share it. T2 is the kernel's receive timestamp;
T3 is taken just before the reply is sent.
"""

from __future__ import annotations

import asyncio
import socket
import time

import structlog

from netq.probe import stamp

log = structlog.get_logger("netq.reflector")


def open_socket(host: str, port: int) -> socket.socket:
    family = socket.AF_INET6 if ":" in host else socket.AF_INET
    sock = socket.socket(family, socket.SOCK_DGRAM)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    sock.setsockopt(socket.SOL_SOCKET, stamp.SO_TIMESTAMPNS, 1)
    if family == socket.AF_INET:
        sock.setsockopt(socket.IPPROTO_IP, stamp.IP_RECVTTL, 1)
    sock.bind((host, port))
    sock.setblocking(False)
    return sock


def reflect(data: bytes, received_at: float, ttl: int | None) -> bytes:
    """The reply to one test packet; raises ValueError for a packet too short to be STAMP."""
    test = stamp.SenderPacket.unpack(data)
    reply = stamp.ReflectorPacket(
        seq=test.seq,
        timestamp=stamp.to_ntp(time.time()),
        error_estimate=stamp.ERROR_ESTIMATE_UNSYNCED,
        ssid=test.ssid,
        receive_timestamp=stamp.to_ntp(received_at),
        sender_seq=test.seq,
        sender_timestamp=test.timestamp,
        sender_error_estimate=test.error_estimate,
        sender_ttl=ttl if ttl is not None else 255,
    )
    # RFC 8762 4.3: the reply is as long as the test packet (symmetric size)
    return reply.pack(len(data))


async def serve(host: str, port: int) -> None:
    loop = asyncio.get_running_loop()
    sock = open_socket(host, port)
    stopped = loop.create_future()

    def on_readable() -> None:
        while True:
            try:
                data, ancdata, _, peer = sock.recvmsg(2048, 256)
            except (BlockingIOError, InterruptedError):
                return
            except OSError as exc:
                log.warning("receive_failed", error=str(exc))
                return
            received_at = stamp.kernel_timestamp(ancdata) or time.time()
            try:
                sock.sendto(reflect(data, received_at, stamp.received_ttl(ancdata)), peer)
            except ValueError as exc:
                log.debug("not_stamp", peer=peer[0], error=str(exc))
            except OSError as exc:
                log.warning("reply_failed", peer=peer[0], error=str(exc))

    loop.add_reader(sock.fileno(), on_readable)
    log.info("reflector_listening", host=host, port=port)
    try:
        await stopped
    finally:
        loop.remove_reader(sock.fileno())
        sock.close()
