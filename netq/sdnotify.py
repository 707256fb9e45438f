"""systemd's notify protocol (sd_notify(3)): READY=1 once serving, WATCHDOG=1 while the event
loop turns. A datagram to $NOTIFY_SOCKET; outside systemd there is no socket and nothing is
sent. Written out rather than a dependency: it is one send on a Unix socket, and the probe
box should not need libsystemd."""

from __future__ import annotations

import asyncio
import os
import socket


def notify(state: str) -> bool:
    """Send one state to systemd; False when not run by systemd (no $NOTIFY_SOCKET)."""
    address = os.environ.get("NOTIFY_SOCKET")
    if not address:
        return False
    if address.startswith("@"):  # an abstract socket
        address = "\0" + address[1:]
    with socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM) as sock:
        sock.connect(address)
        sock.sendall(state.encode())
    return True


def watchdog_interval() -> float | None:
    """Half the unit's WatchdogSec (systemd passes it as $WATCHDOG_USEC), or None."""
    usec = os.environ.get("WATCHDOG_USEC")
    pid = os.environ.get("WATCHDOG_PID")
    if not usec or (pid and int(pid) != os.getpid()):
        return None
    return int(usec) / 2_000_000


async def keep_alive() -> None:
    """Tell systemd the service is ready, then pet its watchdog from the event loop: a loop
    that hangs stops the petting, and systemd restarts the service."""
    notify("READY=1")
    interval = watchdog_interval()
    if interval is None:
        return
    while True:
        notify("WATCHDOG=1")
        await asyncio.sleep(interval)
