// Owns the projector's fold: event values -> table rows, accumulated per batch with upsert-by-primary-key; live and replay run it alike.
import type { DeadLetter } from '../deadLetter.js';
import type { JobEvent } from '../prioritized.js';
import type { RuleEvent } from '../priority/ruleSet.js';
// a processed record decoded whole (any writer schema other than v2, e.g. v1) carries its strikes as rows; v2 records are read as columns in place
import type { ProcessedSnapshotV1 as ProcessedSnapshot } from '../v1Strikes.js';
import type { SourceStats } from '../processing/sourceStats.js';
import { type At, rowsOfDeadLetter, rowsOfJob, rowsOfProcessed, rowsOfRule, rowsOfSource } from './rows.js';
import { TABLE_NAMES, TABLES, groupKeyOf, primaryKeyOf, type Row, type TableName } from './tables.js';

export const PROJECTED_KINDS = ['processed', 'jobs', 'rules', 'sources', 'dlq'] as const;
export type ProjectedKind = (typeof PROJECTED_KINDS)[number];

/** One consumed value, tagged with the kind of topic it came from (and, when known, where it sits in that topic). */
export type ProjectedEvent =
  | { readonly kind: 'processed'; readonly value: ProcessedSnapshot; readonly at?: At }
  | { readonly kind: 'jobs'; readonly value: JobEvent }
  | { readonly kind: 'rules'; readonly value: RuleEvent }
  | { readonly kind: 'sources'; readonly value: SourceStats }
  | { readonly kind: 'dlq'; readonly value: DeadLetter };

/** The rows one event (or one batch) writes, by table; a table that gets none is absent. */
export type TableRows = Partial<Readonly<Record<TableName, readonly Row[]>>>;

export const project = (e: ProjectedEvent): TableRows => {
  switch (e.kind) {
    case 'processed':
      return rowsOfProcessed(e.value, e.at);
    case 'jobs':
      return rowsOfJob(e.value);
    case 'rules':
      return rowsOfRule(e.value);
    case 'sources':
      return rowsOfSource(e.value);
    case 'dlq':
      return rowsOfDeadLetter(e.value);
    default: {
      const never: never = e;
      throw new Error(`unknown projected event ${JSON.stringify(never)}`);
    }
  }
};

/** The rows produced so far, newest first: appending is O(rows of the event) and never copies earlier rows. */
interface Produced {
  readonly rows: TableRows;
  readonly previous: Produced | null;
}

export interface Batch {
  /** Events folded into this batch. */
  readonly events: number;
  readonly produced: Produced | null;
}

export const emptyBatch = (): Batch => ({ events: 0, produced: null });

export const evolve = (state: Batch, event: ProjectedEvent): Batch => ({
  events: state.events + 1,
  produced: { rows: project(event), previous: state.produced },
});

/** Emmett-style projection of the projector's topics into per-batch table rows. */
export const tablesProjection = {
  canHandle: PROJECTED_KINDS,
  initialState: emptyBatch,
  evolve,
} as const;

export const foldEvents = (events: Iterable<ProjectedEvent>, from: Batch = emptyBatch()): Batch => {
  let s = from;
  for (const e of events) s = evolve(s, e);
  return s;
};

/** Table contents keyed by primary key. */
export type TableContents = Readonly<Record<TableName, ReadonlyMap<string, Row>>>;

export const emptyContents = (): TableContents =>
  Object.fromEntries(TABLE_NAMES.map((t) => [t, new Map<string, Row>()])) as unknown as TableContents;

/** Upserts `add` into m: each row replaces the row with its primary key, and, in a table that replaces by group, every earlier row of its group; an append table keeps every row. */
const upsert = (table: TableName, m: Map<string, Row>, add: readonly Row[]): void => {
  if (TABLES[table].append) {
    for (const r of add) m.set(`#${m.size}`, r);
    return;
  }
  if (TABLES[table].replaceBy !== undefined) {
    const groups = new Set(add.map((r) => groupKeyOf(table, r)));
    for (const [k, r] of m) if (groups.has(groupKeyOf(table, r))) m.delete(k);
  }
  for (const r of add) m.set(primaryKeyOf(table, r), r);
};

/** Upserts rows into contents (what the DuckDB edge does). Copies only the tables it touches. */
export const applyRows = (contents: TableContents, rows: TableRows): TableContents => {
  const next: Record<TableName, ReadonlyMap<string, Row>> = { ...contents };
  for (const table of TABLE_NAMES) {
    const add = rows[table];
    if (add === undefined || add.length === 0) continue;
    const m = new Map(contents[table]);
    upsert(table, m, add);
    next[table] = m;
  }
  return next;
};

/** A batch's rows, one per primary key, the later event's row winning (and, in a table that replaces by group, the later event's group): what the projector writes in one transaction. */
export const batchRows = (batch: Batch): Readonly<Record<TableName, readonly Row[]>> => {
  const chronological: TableRows[] = [];
  for (let p = batch.produced; p !== null; p = p.previous) chronological.push(p.rows);
  chronological.reverse();
  return mergeRows(chronological);
};

/** Rows of events in their order, merged as one transaction writes them: append tables keep all, the others one row per key (the later wins). */
export const mergeRows = (chronological: readonly TableRows[]): Readonly<Record<TableName, readonly Row[]>> => {
  const out = {} as Record<TableName, Row[]>;
  for (const table of TABLE_NAMES) {
    if (TABLES[table].append) {
      out[table] = chronological.flatMap((rows) => rows[table] ?? []);
      continue;
    }
    if (TABLES[table].replaceBy !== undefined) {
      // group -> its rows by key: a later event's rows of a group replace the group's earlier rows as a whole
      const groups = new Map<string | null, Map<string, Row>>();
      for (const rows of chronological) {
        const add = rows[table];
        if (add === undefined || add.length === 0) continue;
        const fresh = new Map<string | null, Map<string, Row>>();
        for (const r of add) {
          const g = groupKeyOf(table, r);
          const m = fresh.get(g) ?? fresh.set(g, new Map()).get(g);
          m?.set(primaryKeyOf(table, r), r);
        }
        for (const [g, m] of fresh) groups.set(g, m);
      }
      out[table] = [...groups.values()].flatMap((m) => [...m.values()]);
      continue;
    }
    const m = new Map<string, Row>();
    for (const rows of chronological) for (const r of rows[table] ?? []) m.set(primaryKeyOf(table, r), r);
    out[table] = [...m.values()];
  }
  return out;
};

/** Contents as row lists, for checksums and comparisons. */
export const contentsRows = (contents: TableContents): Readonly<Record<TableName, readonly Row[]>> =>
  Object.fromEntries(TABLE_NAMES.map((t) => [t, [...contents[t].values()]])) as Record<TableName, Row[]>;
