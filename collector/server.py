"""Serving the ingest API so that no client can exhaust it: an idle connection is closed
after `idle_timeout` s whether or not it ever sent a request (uvicorn times only the wait
after a response), a request must arrive whole within `read_timeout` s of its first byte (a
client sending a byte at a time is cut off), at most `max_connections` are served at once
(the rest get 503), and the open-files soft limit is raised to the hard limit before the
first socket is accepted.
"""

from __future__ import annotations

import asyncio
import errno
import os
import resource
import socket
from typing import Any

import structlog
import uvicorn
from uvicorn.protocols.http.h11_impl import H11Protocol

from netq.errors import Unavailable

log = structlog.get_logger("netq.collector")
RESERVED_FILES = 64  # the store's connections, logs, the listening socket


class GuardedH11(H11Protocol):
    read_timeout = 60.0  # set per server by `serve`

    # uvicorn annotates it with its own transport type; asyncio's is what arrives
    def connection_made(self, transport: asyncio.Transport) -> None:  # type: ignore[override]
        super().connection_made(transport)
        self._read_deadline: asyncio.TimerHandle | None = None
        # the same timer uvicorn starts after each response, started for the first request
        self.timeout_keep_alive_task = self.loop.call_later(
            self.timeout_keep_alive, self.timeout_keep_alive_handler)

    def data_received(self, data: bytes) -> None:
        if self._read_deadline is None and self._reading():
            self._read_deadline = self.loop.call_later(self.read_timeout, self._too_slow)
        super().data_received(data)
        if not self._reading():
            self._cancel_read_deadline()

    def connection_lost(self, exc: Exception | None) -> None:
        self._cancel_read_deadline()
        super().connection_lost(exc)

    def on_response_complete(self) -> None:
        self._cancel_read_deadline()
        super().on_response_complete()

    def _reading(self) -> bool:
        """A request has begun to arrive and has not arrived whole."""
        return self.cycle is None or self.cycle.response_complete or self.cycle.more_body

    def _too_slow(self) -> None:
        self._read_deadline = None
        if self._reading() and not self.transport.is_closing():
            log.info("request_too_slow", client=self.client, seconds=self.read_timeout)
            self.transport.close()

    def _cancel_read_deadline(self) -> None:
        if self._read_deadline is not None:
            self._read_deadline.cancel()
            self._read_deadline = None


def raise_open_files_limit() -> int:
    """The soft limit raised to the hard one; returns the limit now in force."""
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    if soft < hard:
        resource.setrlimit(resource.RLIMIT_NOFILE, (hard, hard))
        soft = hard
    return soft


def serve(app: Any, listening: socket.socket, idle_timeout: float, read_timeout: float,
          max_connections: int, certfile: str | None = None,
          keyfile: str | None = None) -> None:
    files = raise_open_files_limit()
    connections = min(max_connections, max(1, files - RESERVED_FILES))
    if connections < max_connections:
        log.warning("max_connections_lowered", wanted=max_connections, open_files=files,
                    serving=connections)
    config = uvicorn.Config(
        app, log_level="warning", access_log=False,
        http=type("ServerH11", (GuardedH11,), {"read_timeout": read_timeout}),
        timeout_keep_alive=int(max(1, idle_timeout)), limit_concurrency=connections,
        ssl_certfile=certfile, ssl_keyfile=keyfile)
    server = uvicorn.Server(config)
    server.run(sockets=[listening])
    if not server.started:
        raise Unavailable("the collector did not start (its log says why)")


def socket_on(host: str, port: int) -> socket.socket:
    """The listening socket, bound here rather than by uvicorn: an address in use or not
    ours is one line naming it, not the server's log and exit."""
    family = socket.AF_INET6 if ":" in host else socket.AF_INET
    try:
        return socket.create_server((host, port), family=family, backlog=2048)
    except OSError as exc:
        remedy = {errno.EADDRINUSE: "another program listens there (another collector?): "
                                    "stop it, or choose another port (--listen, or listen: "
                                    "in the configuration)",
                  errno.EACCES: "a port below 1024 needs privileges: choose one above",
                  errno.EADDRNOTAVAIL: "this machine has no such address"}.get(exc.errno or 0)
        raise Unavailable(f"cannot listen on {host}:{port}: {os.strerror(exc.errno or 0)}"
                          + (f"; {remedy}" if remedy else "")) from None
