"""What checking a record costs: microseconds per record of `collector.validate.problems`,
for good records of each kind and for refused ones, beside the cost of decoding the same
record from JSON (the baseline every record pays anyway).

    .venv/bin/python bench/validation.py [--records 20000]

Run it with another checkout's interpreter to compare two versions of the checks on the
same records (the script uses only `problems` and the test records).
"""

from __future__ import annotations

import argparse
import json
import math
import sys
import time
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from netq.collector.validate import problems
from tests.records import latency_record

NOW = datetime(2026, 8, 15, 12, 0, tzinfo=UTC)


def kinds() -> dict[str, dict[str, Any]]:
    return {
        "latency": latency_record(metrics__interval_s=0.1, metrics__timeout_s=3.0),
        "throughput": latency_record(kind="throughput", metrics={
            "direction": "down", "streams": 4, "duration_s": 10.0, "omit_s": 2,
            "bytes": 125_000_000, "bits_per_second": 100_000_000.0, "ended": "complete",
            "retransmits": 3, "busy_retries": 0}),
        "availability": latency_record(kind="availability", metrics={
            "up": True, "on_net_up": True, "checks": 15, "targets": ["node1"],
            "off_net_targets": ["ix.example"]}),
        "refused (NaN)": latency_record(metrics__jitter_ms=math.nan),
        "refused (rtt < 0)": latency_record(metrics__rtt_ms__min=-5.0),
    }


def per_record_us(work: Any, n: int) -> float:
    began = time.perf_counter()
    for _ in range(n):
        work()
    return (time.perf_counter() - began) / n * 1e6


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--records", type=int, default=20_000)
    n = parser.parse_args().records
    print(f"{n} records each, µs per record\n")
    print("| record | json.loads (baseline) | problems() | ratio |\n|---|---|---|---|")
    for name, record in kinds().items():
        text = json.dumps(record)
        problems(json.loads(text), NOW)  # compile the schema first
        decode = per_record_us(lambda text=text: json.loads(text), n)
        check = per_record_us(lambda record=record: problems(record, NOW), n)
        print(f"| {name} | {decode:.1f} | {check:.1f} | {check / decode:.1f} |")


if __name__ == "__main__":
    main()
