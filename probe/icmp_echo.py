"""ICMP echo sessions with icmplib's sockets, pipelined.

icmplib's own ping() waits for each reply before sending the next; with a 3 s loss timeout
that makes a 1 000-packet session with loss take minutes and changes the sending pattern.
Here packets leave on schedule while a reader thread takes the replies. icmplib stamps a
reply when recvfrom returns on that thread, so event-loop delays do not add to the RTT.
(icmplib's AsyncSocket is not used: it hangs when a session is cancelled mid-receive.)
"""

from __future__ import annotations

import asyncio
import os
import random
import socket
import threading

from icmplib import ICMPReply, ICMPRequest, ICMPv4Socket, ICMPv6Socket
from icmplib.exceptions import ICMPLibError, TimeoutExceeded

from netq.probe.session import EchoSession

ECHO_REPLY = {socket.AF_INET: 0, socket.AF_INET6: 129}
POLL_S = 0.1  # how often the reader thread looks at the stop flag


async def measure(host: str, session: EchoSession, payload_size: int = 56) -> None:
    loop = asyncio.get_running_loop()
    infos = await loop.getaddrinfo(host, None, type=socket.SOCK_RAW)
    family, address = infos[0][0], infos[0][4][0]
    privileged = os.geteuid() == 0  # otherwise an unprivileged ICMP datagram socket
    sock = (ICMPv4Socket if family == socket.AF_INET else ICMPv6Socket)(privileged=privileged)
    identifier = random.randrange(1, 0xFFFF)
    requests: dict[int, ICMPRequest] = {}
    stop = threading.Event()

    def on_reply(reply: ICMPReply) -> None:
        request = requests.get(reply.sequence)
        # a raw socket sees every ICMP packet on the host: keep only our echo replies
        if reply.type == ECHO_REPLY[family] and request is not None and reply.id == request.id:
            session.reply(reply.sequence, reply.time - request.time)

    def read_replies() -> None:
        while not stop.is_set():
            try:
                reply = sock.receive(None, timeout=POLL_S)
            except TimeoutExceeded:
                continue
            except ICMPLibError:
                if stop.is_set():
                    return
                continue
            loop.call_soon_threadsafe(on_reply, reply)

    def send(seq: int) -> None:
        request = ICMPRequest(address, id=identifier, sequence=seq, payload_size=payload_size)
        requests[seq] = request
        try:
            sock.send(request)
        except ICMPLibError as exc:
            raise OSError(str(exc)) from exc

    reader = loop.run_in_executor(None, read_replies)
    try:
        await session.run(send)
    finally:
        stop.set()
        await reader
        sock.close()
