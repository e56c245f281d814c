"""Reads the projector's Parquet tree with pyarrow and polars (hive partitioning) and prints, per table and reader,
the row count, the symbols and dates taken from the directory names, and the sum of one numeric column."""
import json
import sys

import polars as pl
import pyarrow.dataset as ds

root = sys.argv[1]
out = {}
for table, col in (("gex_snapshots", "spot"), ("gex_strikes", "strike")):
    d = ds.dataset(f"{root}/{table}", format="parquet", partitioning="hive")
    t = d.to_table()
    pa_res = {
        "rows": t.num_rows,
        "symbols": sorted(set(str(s) for s in t.column("symbol").to_pylist())),
        "dates": sorted(set(str(s) for s in t.column("date").to_pylist())),
        "sum": round(sum(v for v in t.column(col).to_pylist() if v is not None), 6),
    }
    p = pl.scan_parquet(f"{root}/{table}/**/*.parquet", hive_partitioning=True).collect()
    pl_res = {
        "rows": p.height,
        "symbols": sorted(set(str(s) for s in p["symbol"].to_list())),
        "dates": sorted(set(str(s) for s in p["date"].to_list())),
        "sum": round(float(p[col].sum()), 6),
    }
    out[table] = {"pyarrow": pa_res, "polars": pl_res}
print(json.dumps(out))
