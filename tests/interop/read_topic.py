"""Reading a topic from its start with confluent-kafka (librdkafka), read_committed, for the interop scripts."""
from typing import Iterator

from confluent_kafka import Consumer, Message


def read_messages(brokers: str, topic: str, group: str, count: int, idle_polls: int = 60) -> Iterator[Message]:
    """Yields up to COUNT messages of TOPIC, stopping early after IDLE_POLLS polls of 0.5 s in a row without one."""
    consumer = Consumer({"bootstrap.servers": brokers, "group.id": group, "auto.offset.reset": "earliest",
                         "enable.auto.commit": False, "isolation.level": "read_committed"})
    consumer.subscribe([topic])
    try:
        seen = 0
        idle = 0
        while seen < count and idle < idle_polls:
            msg = consumer.poll(0.5)
            if msg is None:
                idle += 1
                continue
            if msg.error():
                raise SystemExit(f"kafka error: {msg.error()}")
            seen += 1
            idle = 0
            yield msg
    finally:
        consumer.close()
