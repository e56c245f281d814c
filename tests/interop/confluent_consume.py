"""Reads Avro messages from a topic with confluent-kafka (librdkafka + Confluent's AvroDeserializer), independently of gexstream.

usage: confluent_consume.py BROKERS REGISTRY_URL TOPIC COUNT
Prints one JSON line per message: the magic byte, the schema id from the 5-byte header, and the decoded value.
"""
import json
import struct
import sys

from confluent_kafka import Consumer
from confluent_kafka.schema_registry import SchemaRegistryClient
from confluent_kafka.schema_registry.avro import AvroDeserializer
from confluent_kafka.serialization import MessageField, SerializationContext


def main() -> int:
    brokers, registry_url, topic, count = sys.argv[1], sys.argv[2], sys.argv[3], int(sys.argv[4])
    deserialize = AvroDeserializer(SchemaRegistryClient({"url": registry_url}))
    consumer = Consumer({"bootstrap.servers": brokers, "group.id": f"interop-{topic}", "auto.offset.reset": "earliest",
                         "enable.auto.commit": False, "isolation.level": "read_committed"})
    consumer.subscribe([topic])
    seen = 0
    idle = 0
    while seen < count and idle < 60:
        msg = consumer.poll(0.5)
        if msg is None:
            idle += 1
            continue
        if msg.error():
            raise SystemExit(f"kafka error: {msg.error()}")
        raw = msg.value()
        magic, schema_id = struct.unpack(">bI", raw[:5])
        value = deserialize(raw, SerializationContext(topic, MessageField.VALUE))
        print(json.dumps({"magic": magic, "schema_id": schema_id, "key": (msg.key() or b"").decode(), "value": value}, default=repr))
        seen += 1
    consumer.close()
    return 0 if seen == count else 1


if __name__ == "__main__":
    sys.exit(main())
