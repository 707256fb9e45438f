"""host[:port] parsing shared by the probers and the servers (IPv6 literals in brackets)."""

from __future__ import annotations

from typing import Annotated

from pydantic import AfterValidator


def split_host_port(target: str, default_port: int) -> tuple[str, int]:
    """'h', 'h:5201', '[2001:db8::1]:5201', '2001:db8::1' -> (host, port)."""
    if target.startswith("["):
        host, _, rest = target[1:].partition("]")
        port = rest.removeprefix(":")
    elif target.count(":") == 1:
        host, _, port = target.partition(":")
    else:
        host, port = target, ""
    if not host:
        raise ValueError(f"target {target!r} has no host")
    if not port:
        return host, default_port
    if not port.isdigit() or not 0 < int(port) < 65536:
        raise ValueError(f"target {target!r} has port {port!r}; a port is a number from 1 to 65535")
    return host, int(port)


def _valid_target(target: str) -> str:
    if "://" not in target:  # URLs are checked by the prober that takes them
        split_host_port(target, 1)
    return target


HostPort = Annotated[str, AfterValidator(_valid_target)]
"""A `host[:port]` (or URL) target, checked when parameters are validated."""
