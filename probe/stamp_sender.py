"""The STAMP Session-Sender: paces test packets to a reflector and times the replies.

Round trip = (T4 - T1) - (T3 - T2): the reflector's residence time is taken out, so a busy
reflector does not inflate the subscriber's figure. T4 is the kernel's receive timestamp,
so the probe's own scheduling delay does not either.
"""

from __future__ import annotations

import asyncio
import random
import socket
import time

from netq.probe import stamp
from netq.probe.session import EchoSession


async def stamp_session(
    host: str, port: int, session: EchoSession, padding: int = stamp.BASE_SIZE
) -> bool:
    """Run the session; returns whether the reflector's host refused it (ICMP port
    unreachable: no reflector runs there), which is not the line's loss."""
    loop = asyncio.get_running_loop()
    infos = await loop.getaddrinfo(host, port, type=socket.SOCK_DGRAM)
    family, _, _, _, address = infos[0]
    ssid = random.randrange(1, 0xFFFF)  # tells this session's replies from a stale one's
    sent_at: dict[int, float] = {}
    refused = False
    with socket.socket(family, socket.SOCK_DGRAM) as sock:
        sock.setsockopt(socket.SOL_SOCKET, stamp.SO_TIMESTAMPNS, 1)
        sock.setblocking(False)
        sock.connect(address)

        def on_readable() -> None:
            nonlocal refused
            while True:
                try:
                    data, ancdata, _, _ = sock.recvmsg(2048, 256)
                except (BlockingIOError, InterruptedError):
                    return
                except ConnectionRefusedError:  # ICMP port unreachable: nothing listens there
                    refused = True
                    continue
                except OSError:
                    continue
                arrived = stamp.kernel_timestamp(ancdata) or time.time()
                try:
                    reply = stamp.ReflectorPacket.unpack(data)
                except ValueError:
                    continue
                if reply.ssid != ssid or reply.sender_seq not in sent_at:
                    continue
                rtt = arrived - sent_at[reply.sender_seq] - reply.residence_s
                session.reply(reply.sender_seq, rtt)

        def send(seq: int) -> None:
            t1 = time.time()
            packet = stamp.SenderPacket(seq=seq, timestamp=stamp.to_ntp(t1), ssid=ssid)
            sent_at[seq] = t1
            sock.send(packet.pack(padding))

        loop.add_reader(sock.fileno(), on_readable)
        try:
            await session.run(send)
        finally:
            loop.remove_reader(sock.fileno())
    return refused
