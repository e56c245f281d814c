"""Publishes raw messages with confluent-kafka (librdkafka), independently of gexstream, as a careless client would.

usage: produce_raw.py BOOTSTRAP TOPIC MESSAGES_JSON
MESSAGES_JSON is a file holding a list of messages, each {"value": str | null, "value_b64": str, "key": str | null,
"headers": {name: str}, "partition": int, "compression": "none"|"gzip"|"lz4"|"snappy"|"zstd"}. Values are sent as
their UTF-8 bytes (or the base64-decoded bytes of value_b64), headers as given, in order. Messages with the same
compression go through one producer, so order is kept per partition when they share one. Prints one JSON line per
delivered message: partition and offset.
"""
import base64
import json
import sys

from confluent_kafka import Producer


def main() -> int:
    bootstrap, topic, path = sys.argv[1], sys.argv[2], sys.argv[3]
    with open(path, encoding="utf-8") as f:
        messages = json.load(f)
    producers: dict[str, Producer] = {}
    delivered: list[dict] = []
    failed: list[str] = []

    def on_delivery(err, msg) -> None:
        if err is not None:
            failed.append(str(err))
        else:
            delivered.append({"partition": msg.partition(), "offset": msg.offset()})

    for m in messages:
        codec = m.get("compression", "none")
        p = producers.get(codec)
        if p is None:
            p = Producer({"bootstrap.servers": bootstrap, "compression.type": codec, "enable.idempotence": True,
                          "message.max.bytes": 20_000_000, "linger.ms": 5})
            producers[codec] = p
        if "value_b64" in m:
            value = base64.b64decode(m["value_b64"])
        else:
            value = None if m.get("value") is None else m["value"].encode("utf-8")
        key = None if m.get("key") is None else m["key"].encode("utf-8")
        headers = [(k, v.encode("utf-8")) for k, v in (m.get("headers") or {}).items()]
        p.produce(topic, value=value, key=key, headers=headers, partition=m.get("partition", 0), on_delivery=on_delivery)
        # one at a time: the order on the partition is the order of the file, whatever the codec
        p.flush(30)
    for line in delivered:
        print(json.dumps(line))
    if failed:
        print("\n".join(failed), file=sys.stderr)
        return 1
    return 0 if len(delivered) == len(messages) else 1


if __name__ == "__main__":
    sys.exit(main())
