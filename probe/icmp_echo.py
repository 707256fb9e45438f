"""ICMP echo sessions with icmplib's sockets, pipelined.

icmplib's own ping() waits for each reply before sending the next; with a 3 s loss timeout
that makes a 1 000-packet session with loss take minutes and changes the sending pattern.
Here packets leave on schedule while a reader thread takes the replies and stamps them as
they arrive, so event-loop delays do not add to the RTT. Both ends are stamped with the
monotonic clock: icmplib stamps with time.time(), which an NTP step would move mid-session.
(icmplib's AsyncSocket is not used: it hangs when a session is cancelled mid-receive.)
"""

from __future__ import annotations

import asyncio
import random
import select
import socket
import threading
import time

from icmplib import ICMPReply, ICMPRequest, ICMPv4Socket, ICMPv6Socket
from icmplib.exceptions import ICMPLibError, SocketPermissionError, TimeoutExceeded

from netq.probe.session import EchoSession

ECHO_REPLY = {socket.AF_INET: 0, socket.AF_INET6: 129}
POLL_S = 0.1  # how often the reader thread looks at the stop flag


def open_socket(family: int) -> ICMPv4Socket | ICMPv6Socket:
    """A raw socket when allowed (root or CAP_NET_RAW), else the kernel's ping socket, which
    net.ipv4.ping_group_range must grant; SocketPermissionError when neither is allowed."""
    kind = ICMPv4Socket if family == socket.AF_INET else ICMPv6Socket
    try:
        return kind(privileged=True)
    except SocketPermissionError:
        return kind(privileged=False)


async def echo_session(host: str, session: EchoSession, payload_size: int = 56) -> None:
    loop = asyncio.get_running_loop()
    infos = await loop.getaddrinfo(host, None, type=socket.SOCK_RAW)
    family, address = infos[0][0], infos[0][4][0]
    sock = open_socket(family)
    identifier = random.randrange(1, 0xFFFF)
    sent: dict[int, tuple[int, float]] = {}  # sequence -> (echo identifier, monotonic send time)
    stop = threading.Event()

    def on_reply(reply: ICMPReply, received_at: float) -> None:
        # a raw socket sees every ICMP packet on the host: keep only our echo replies
        identifier_sent, sent_at = sent.get(reply.sequence, (None, 0.0))
        if reply.type == ECHO_REPLY[family] and reply.id == identifier_sent:
            session.reply(reply.sequence, received_at - sent_at)

    def read_replies() -> None:
        while not stop.is_set():
            # Wait here, not in icmplib's receive(timeout): that discards a reply whose recvfrom
            # returns a hair after its time limit, so a reply arriving as a poll ends was lost.
            if not select.select([sock.sock], [], [], POLL_S)[0]:
                continue
            received_at = time.monotonic()
            try:
                reply = sock.receive(None, timeout=POLL_S)
            except TimeoutExceeded:
                continue
            except ICMPLibError:
                if stop.is_set():
                    return
                continue
            loop.call_soon_threadsafe(on_reply, reply, received_at)

    def send(seq: int) -> None:
        request = ICMPRequest(address, id=identifier, sequence=seq, payload_size=payload_size)
        monotonic_before, wall_before = time.monotonic(), time.time()
        try:
            sock.send(request)
        except ICMPLibError as exc:
            raise OSError(str(exc)) from exc
        # icmplib stamps (wall clock) just before sendto; carried onto the monotonic clock, that
        # moment spares the ~20 µs it spends building the packet. Stamping after send would be
        # late: on a fast path the reply is in before sendto returns.
        sent_at = monotonic_before + (request.time - wall_before)
        # a ping socket's kernel replaces the identifier; icmplib writes the real one back
        sent[seq] = (request.id, sent_at)

    reader = loop.run_in_executor(None, read_replies)
    try:
        await session.run(send)
    finally:
        stop.set()
        await reader
        sock.close()
