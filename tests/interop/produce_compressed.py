"""Publishes raw JSON snapshots with confluent-kafka (librdkafka), compressed as a non-Node producer in production would.

usage: produce_compressed.py BROKERS TOPIC CODEC PAYLOADS_JSONL [--headers]
CODEC is librdkafka's compression.type: none, gzip, snappy, lz4 or zstd. Each line of PAYLOADS_JSONL is one message
value, sent as its exact bytes with key = its "ticker". With --headers, each message also carries gex-source =
"librdkafka-CODEC" and gex-request-id = "librdkafka-CODEC-<line index>" (request ids have 8 to 64 characters). Batching is forced (linger, batch size) so that the
records really travel as compressed multi-record batches. Prints one JSON line: {"codec", "sent"}.
"""
import json
import sys

from confluent_kafka import Producer


def main() -> int:
    brokers, topic, codec, path = sys.argv[1], sys.argv[2], sys.argv[3], sys.argv[4]
    with_headers = "--headers" in sys.argv[5:]
    producer = Producer({
        "bootstrap.servers": brokers,
        "compression.type": codec,
        "enable.idempotence": True,
        "acks": "all",
        "linger.ms": 50,
        "batch.size": 1_000_000,
        "message.max.bytes": 8_000_000,
        "partitioner": "murmur2_random",  # the Java client's partitioner, as gexstream uses
    })
    failures: list[str] = []

    def delivered(err, _msg) -> None:
        if err is not None:
            failures.append(str(err))

    sent = 0
    with open(path, "rb") as f:
        for i, line in enumerate(f):
            value = line.rstrip(b"\n")
            if not value:
                continue
            key = str(json.loads(value).get("ticker", "")).encode() or None
            headers = [("gex-source", f"librdkafka-{codec}".encode()), ("gex-request-id", f"librdkafka-{codec}-{i}".encode())] if with_headers else None
            while True:
                try:
                    producer.produce(topic, value=value, key=key, headers=headers, on_delivery=delivered)
                    break
                except BufferError:
                    producer.poll(0.1)
            sent += 1
            producer.poll(0)
    left = producer.flush(60)
    if left or failures:
        print(json.dumps({"codec": codec, "sent": sent, "undelivered": left, "failures": failures[:5]}))
        return 1
    print(json.dumps({"codec": codec, "sent": sent}))
    return 0


if __name__ == "__main__":
    sys.exit(main())
