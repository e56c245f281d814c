"""Reads processed snapshots v2 (io.gexstream.v2.ProcessedSnapshot) with confluent-kafka (librdkafka) and Confluent's own
AvroDeserializer, independently of gexstream, and rebuilds each snapshot's strike rows from its columns.

usage: confluent_rows.py BROKERS REGISTRY_URL TOPIC COUNT
Prints one JSON line per message: magic byte, schema id, key, request id, ticker, kind, quality score and the strike
rows ({strike, priors, <column>: value or null}); a NaN cell and a column the snapshot does not carry are null.
"""
import json
import math
import struct
import sys

from confluent_kafka.schema_registry import SchemaRegistryClient
from confluent_kafka.schema_registry.avro import AvroDeserializer
from confluent_kafka.serialization import MessageField, SerializationContext
from read_topic import read_messages


def cell(v):
    return None if v is None or (isinstance(v, float) and math.isnan(v)) else v


def rows_of(strikes: dict) -> list:
    """The strike rows of a StrikeColumns record: row i takes cell i of every column, its priors from the flat values."""
    columns = [k for k in strikes if k not in ("strike", "priors_values", "priors_ends")]
    ends = strikes["priors_ends"]
    values = strikes["priors_values"]
    rows = []
    for i, strike in enumerate(strikes["strike"]):
        row = {"strike": strike}
        for c in columns:
            col = strikes[c]
            row[c] = None if col is None else cell(col[i])
        row["priors"] = values[(ends[i - 1] if i > 0 else 0):ends[i]] if ends else []
        rows.append(row)
    return rows


def main() -> int:
    brokers, registry_url, topic, count = sys.argv[1], sys.argv[2], sys.argv[3], int(sys.argv[4])
    deserialize = AvroDeserializer(SchemaRegistryClient({"url": registry_url}))
    seen = 0
    for msg in read_messages(brokers, topic, f"interop-rows-{topic}", count):
        raw = msg.value()
        magic, schema_id = struct.unpack(">bI", raw[:5])
        v = deserialize(raw, SerializationContext(topic, MessageField.VALUE))
        s = v["snapshot"]
        print(json.dumps({"magic": magic, "schema_id": schema_id, "key": (msg.key() or b"").decode(), "request_id": v["request_id"],
                          "ticker": s["ticker"], "kind": s["kind"], "quality_score": v["quality_score"], "rows": rows_of(s["strikes"])},
                         allow_nan=False))
        seen += 1
    return 0 if seen == count else 1


if __name__ == "__main__":
    sys.exit(main())
