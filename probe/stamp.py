"""STAMP (RFC 8762) test packets in unauthenticated mode, with the RFC 8972 SSID.

Both packets are 44 bytes before any TLVs. Timestamps are NTP format (Z=0):
32 bits of seconds since 1900 and 32 bits of fraction.
"""

from __future__ import annotations

import socket
import struct
from dataclasses import dataclass

DEFAULT_PORT = 862
BASE_SIZE = 44
NTP_EPOCH_OFFSET = 2_208_988_800  # seconds from 1900-01-01 to 1970-01-01
# S=0 (clock not known to be synchronised), Z=0 (NTP format), scale 0, multiplier 1:
# RFC 4656 forbids a zero multiplier.
ERROR_ESTIMATE_UNSYNCED = 0x0001

_SENDER = struct.Struct("!IQHH28x")  # seq, timestamp, error estimate, SSID, MBZ
_REFLECTOR = struct.Struct("!IQHHQIQHHB3x")

# Linux socket options for kernel receive timestamps; Python does not name them all.
SO_TIMESTAMPNS = getattr(socket, "SO_TIMESTAMPNS", 35)
IP_RECVTTL = getattr(socket, "IP_RECVTTL", 12)
IP_TTL = socket.IP_TTL


def to_ntp(unix_seconds: float) -> int:
    seconds = int(unix_seconds)
    fraction = int((unix_seconds - seconds) * (1 << 32)) & 0xFFFFFFFF
    return ((seconds + NTP_EPOCH_OFFSET) & 0xFFFFFFFF) << 32 | fraction


def from_ntp(ntp: int) -> float:
    return (ntp >> 32) - NTP_EPOCH_OFFSET + (ntp & 0xFFFFFFFF) / (1 << 32)


@dataclass(frozen=True)
class SenderPacket:
    seq: int
    timestamp: int
    error_estimate: int = ERROR_ESTIMATE_UNSYNCED
    ssid: int = 0

    def pack(self, size: int = BASE_SIZE) -> bytes:
        body = _SENDER.pack(self.seq, self.timestamp, self.error_estimate, self.ssid)
        return body.ljust(size, b"\0")

    @classmethod
    def unpack(cls, data: bytes) -> SenderPacket:
        if len(data) < BASE_SIZE:
            raise ValueError(f"STAMP test packet is {len(data)} bytes, shorter than {BASE_SIZE}")
        seq, timestamp, error_estimate, ssid = _SENDER.unpack_from(data)
        return cls(seq, timestamp, error_estimate, ssid)


@dataclass(frozen=True)
class ReflectorPacket:
    seq: int
    timestamp: int  # T3: reflector transmit
    error_estimate: int
    ssid: int
    receive_timestamp: int  # T2: reflector receive
    sender_seq: int
    sender_timestamp: int  # T1: sender transmit
    sender_error_estimate: int
    sender_ttl: int

    def pack(self, size: int = BASE_SIZE) -> bytes:
        body = _REFLECTOR.pack(
            self.seq, self.timestamp, self.error_estimate, self.ssid, self.receive_timestamp,
            self.sender_seq, self.sender_timestamp, self.sender_error_estimate, 0, self.sender_ttl,
        )
        return body.ljust(size, b"\0")

    @classmethod
    def unpack(cls, data: bytes) -> ReflectorPacket:
        if len(data) < BASE_SIZE:
            raise ValueError(f"STAMP reply is {len(data)} bytes, shorter than {BASE_SIZE}")
        (seq, ts, err, ssid, rx, s_seq, s_ts, s_err, _mbz, ttl) = _REFLECTOR.unpack_from(data)
        return cls(seq, ts, err, ssid, rx, s_seq, s_ts, s_err, ttl)

    @property
    def residence_s(self) -> float:
        """Time the packet spent inside the reflector (T3 - T2), on the reflector's clock."""
        return from_ntp(self.timestamp) - from_ntp(self.receive_timestamp)


def kernel_timestamp(ancdata: list[tuple[int, int, bytes]]) -> float | None:
    """The SCM_TIMESTAMPNS receive time from recvmsg's ancillary data, as Unix seconds."""
    for level, kind, data in ancdata:
        if level == socket.SOL_SOCKET and kind == SO_TIMESTAMPNS and len(data) >= 16:
            seconds, nanoseconds = struct.unpack("qq", data[:16])
            return float(seconds + nanoseconds / 1e9)
    return None


def received_ttl(ancdata: list[tuple[int, int, bytes]]) -> int | None:
    for level, kind, data in ancdata:
        if level == socket.IPPROTO_IP and kind == IP_TTL and data:
            return int.from_bytes(data[:4], "little") & 0xFF
    return None
