// Dates for the sidebar and messages. Formatters are created once: building an Intl formatter per
// call (what Date#toLocaleString does) costs milliseconds each, which adds up over a long history.

let weekday: Intl.DateTimeFormat | null = null;
let dayMonth: Intl.DateTimeFormat | null = null;
let full: Intl.DateTimeFormat | null = null;

/** Short relative time for the sidebar ("now", "5 min", "3 h", "Mon", "12 Mar"). */
export function shortTime(ms: number, now: number = Date.now()): string {
  const d = Math.max(0, now - ms);
  if (d < 60_000) return 'now';
  if (d < 3_600_000) return `${Math.floor(d / 60_000)} min`;
  if (d < 86_400_000) return `${Math.floor(d / 3_600_000)} h`;
  if (d < 7 * 86_400_000) {
    weekday ??= new Intl.DateTimeFormat(undefined, { weekday: 'short' });
    return weekday.format(ms);
  }
  dayMonth ??= new Intl.DateTimeFormat(undefined, { day: 'numeric', month: 'short' });
  return dayMonth.format(ms);
}

export function fullTime(ms: number): string {
  full ??= new Intl.DateTimeFormat(undefined, { dateStyle: 'medium', timeStyle: 'short' });
  return full.format(ms);
}
