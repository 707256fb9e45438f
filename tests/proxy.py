"""A round-robin TCP proxy for tests of several collectors: each connection goes to the next
backend that accepts it (a dead one is passed over, as nginx's `proxy_next_upstream error`
does), and bytes are relayed both ways until either side closes."""

from __future__ import annotations

import contextlib
import itertools
import socket
import threading
from collections.abc import Iterator


def _pump(source: socket.socket, sink: socket.socket) -> None:
    with contextlib.suppress(OSError):
        while data := source.recv(65536):
            sink.sendall(data)
    for end in (source, sink):  # either side gone: the other is told at once
        with contextlib.suppress(OSError):
            end.shutdown(socket.SHUT_RDWR)


@contextlib.contextmanager
def round_robin(port: int, backends: list[int]) -> Iterator[None]:
    listener = socket.create_server(("127.0.0.1", port))
    turns = itertools.cycle(range(len(backends)))
    closing = threading.Event()

    def serve(client: socket.socket) -> None:
        with client:
            for _ in backends:
                try:
                    backend = socket.create_connection(
                        ("127.0.0.1", backends[next(turns)]), timeout=2)
                    break
                except OSError:
                    continue
            else:
                return
            with backend:
                backend.settimeout(None)
                back = threading.Thread(target=_pump, args=(backend, client), daemon=True)
                back.start()
                _pump(client, backend)
                back.join()

    def accept() -> None:
        while not closing.is_set():
            try:
                client, _ = listener.accept()
            except OSError:
                return
            threading.Thread(target=serve, args=(client,), daemon=True).start()

    acceptor = threading.Thread(target=accept, daemon=True)
    acceptor.start()
    try:
        yield
    finally:
        closing.set()
        with contextlib.suppress(OSError):
            listener.shutdown(socket.SHUT_RDWR)  # wakes the accepting thread
        listener.close()
        acceptor.join(5)
