// Owns replay's stopping rule per partition (pure): stop at the end offset taken at start, or at the first message
// appended after --until.

/**
 * The messages to apply and whether the partition is done after them. `fetchedThrough` is the last offset the fetch
 * covered, transaction markers included: a partition whose end is a marker is done once the fetch has passed it.
 */
export const cutAtEnd = <M extends { readonly offset: number; readonly timestamp: number }>(
  messages: readonly M[],
  end: number | undefined,
  untilMs: number | undefined,
  fetchedThrough?: number,
): { keep: readonly M[]; done: boolean } => {
  let n = 0;
  for (const m of messages) {
    if ((end !== undefined && m.offset >= end) || (untilMs !== undefined && m.timestamp > untilMs)) return { keep: messages.slice(0, n), done: true };
    n++;
  }
  const last = messages[messages.length - 1];
  const through = Math.max(last?.offset ?? -1, fetchedThrough ?? -1);
  return { keep: messages, done: end !== undefined && through >= 0 && through + 1 >= end };
};
