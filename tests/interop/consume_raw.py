"""Reads every message of a topic with confluent-kafka (librdkafka), independently of gexstream's client.

usage: consume_raw.py BROKERS TOPIC COUNT
Reads until COUNT messages (or 30 s without one) and prints one JSON line per message: the gex-request-id header and
the sha256 of the value. Exit 1 when fewer than COUNT were read.
"""
import hashlib
import json
import sys

from read_topic import read_messages


def main() -> int:
    brokers, topic, count = sys.argv[1], sys.argv[2], int(sys.argv[3])
    seen = 0
    for msg in read_messages(brokers, topic, f"interop-raw-{topic}", count):
        headers = dict(msg.headers() or [])
        print(json.dumps({"request_id": headers.get("gex-request-id", b"").decode(), "sha256": hashlib.sha256(msg.value()).hexdigest()}))
        seen += 1
    return 0 if seen == count else 1


if __name__ == "__main__":
    sys.exit(main())
