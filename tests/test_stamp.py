"""STAMP packets as RFC 8762/8972 lays them out, checked with scapy's independent model."""

from __future__ import annotations

import time

import pytest
from scapy.contrib.stamp import (
    STAMPSessionReflectorTestUnauthenticated,
    STAMPSessionSenderTestUnauthenticated,
)

from netq.probe import stamp
from netq.probe.reflector import reflect


def test_a_sender_packet_is_44_bytes_and_scapy_reads_its_fields() -> None:
    t1 = stamp.to_ntp(1_790_000_000.25)
    wire = stamp.SenderPacket(seq=7, timestamp=t1, ssid=0xBEEF).pack()
    assert len(wire) == 44
    parsed = STAMPSessionSenderTestUnauthenticated(wire)
    assert (parsed.seq, parsed.ssid) == (7, 0xBEEF)
    estimate = parsed.err_estimate
    assert (estimate.S, estimate.Z, estimate.multiplier) == (0, 0, 1)


def test_the_reflector_answers_with_the_senders_fields_and_its_own_timestamps() -> None:
    t1 = stamp.to_ntp(time.time())
    test = stamp.SenderPacket(seq=42, timestamp=t1, ssid=99).pack(64)
    received_at = time.time()
    reply_wire = reflect(test, received_at, ttl=61)
    assert len(reply_wire) == 64  # symmetric size, RFC 8762 4.3
    reply = STAMPSessionReflectorTestUnauthenticated(reply_wire)
    assert (reply.seq, reply.seq_sender, reply.ssid, reply.ttl_sender) == (42, 42, 99, 61)
    ours = stamp.ReflectorPacket.unpack(reply_wire)
    assert ours.sender_timestamp == t1
    assert abs(stamp.from_ntp(ours.receive_timestamp) - received_at) < 1e-6
    assert 0 <= ours.residence_s < 0.1


def test_ntp_timestamps_round_trip_to_a_nanosecond_scale() -> None:
    moment = 1_790_000_123.123456
    assert abs(stamp.from_ntp(stamp.to_ntp(moment)) - moment) < 1e-6


def test_a_short_datagram_is_not_a_stamp_packet() -> None:
    with pytest.raises(ValueError, match="shorter than 44"):
        reflect(b"x" * 10, time.time(), None)
