/**
 * The event lines of a conversation export (JSONL: header, events, trailer) without their seq, which
 * numbers each server's whole log: what two servers' exports of one conversation must share.
 */
export function exportedEvents(jsonl: string): unknown[] {
  return jsonl
    .trim()
    .split('\n')
    .slice(1, -1)
    .map((l) => {
      const { seq: _s, ...e } = JSON.parse(l);
      return e;
    });
}
