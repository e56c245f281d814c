// Owns replay's stopping rule per partition (pure): stop at the end offset taken at start, or at the first message
// appended after --until.

/** The messages to apply and whether the partition is done after them. */
export const cutAtEnd = <M extends { readonly offset: number; readonly timestamp: number }>(
  messages: readonly M[],
  end: number | undefined,
  untilMs: number | undefined,
): { keep: readonly M[]; done: boolean } => {
  let n = 0;
  for (const m of messages) {
    if ((end !== undefined && m.offset >= end) || (untilMs !== undefined && m.timestamp > untilMs)) return { keep: messages.slice(0, n), done: true };
    n++;
  }
  const last = messages[messages.length - 1];
  return { keep: messages, done: end !== undefined && last !== undefined && last.offset + 1 >= end };
};
