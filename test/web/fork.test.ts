// The pure helpers of web/src/ui/fork: the fresh-session notice, token counts and usage totals.
import { describe, expect, it } from 'vitest';
import { addEvents, emptySession } from '../../web/src/state/session';
import { compactTokens, freshSessionNotice, totalsText, usageTotals } from '../../web/src/ui/fork/fork-text';
import { ev } from './fixtures';

const turnOf = (id: string, events: Record<string, unknown>[], seq0: number) =>
  addEvents(
    emptySession(id),
    events.map((f, i) => ev(seq0 + i, 'usage', f, id)),
  );

describe('fork notice', () => {
  it('says the agent starts afresh, with the reason in words', () => {
    const t = freshSessionNotice('not_latest');
    expect(t).toMatch(/^The agent starts a fresh session; earlier messages are shown as history\./);
    expect(t).toMatch(/earlier message/);
    expect(freshSessionNotice('not_offered')).toMatch(/cannot fork its sessions/);
  });
  it('has words for a reason it does not know', () => {
    expect(freshSessionNotice('something_new')).toMatch(/could not be forked/);
    expect(freshSessionNotice(undefined)).toMatch(/could not be forked/);
  });
});

describe('compactTokens', () => {
  it('shortens', () => {
    expect(compactTokens(950)).toBe('950');
    expect(compactTokens(1200)).toBe('1.2k');
    expect(compactTokens(12_345)).toBe('12.3k');
    expect(compactTokens(340_000)).toBe('340k');
    expect(compactTokens(1_500_000)).toBe('1.5M');
  });
});

describe('usageTotals', () => {
  it('is null when no turn reported usage', () => {
    expect(usageTotals([emptySession('s1')])).toBeNull();
  });
  it('takes the latest context size, not a sum, from ACP usage updates', () => {
    const a = turnOf('s1', [{ used: 1000, size: 200_000 }], 1);
    const b = turnOf(
      's2',
      [
        { used: 1500, size: 200_000 },
        { used: 2500, size: 200_000 },
      ],
      10,
    );
    const t = usageTotals([a, b]);
    expect(t).toEqual({ tokens: 2500, contextOnly: true, cost: null });
    expect(totalsText(t as NonNullable<typeof t>)).toBe('2.5k tokens');
  });
  it('sums the turns’ own totals when the agent reports them', () => {
    const a = turnOf(
      's1',
      [
        { turn: true, totalTokens: 10_000 },
        { used: 9000, size: 1e5 },
      ],
      1,
    );
    const b = turnOf('s2', [{ turn: true, inputTokens: 2000, outputTokens: 300 }], 10);
    expect(usageTotals([a, b])).toMatchObject({ tokens: 12_300, contextOnly: false });
  });
  it('keeps a cumulative cost, carrying over when a fresh agent session starts from zero', () => {
    const usd = (amount: number) => ({ used: 100, size: 1000, cost: { amount, currency: 'USD' } });
    const a = turnOf('s1', [usd(0.1), usd(0.3)], 1);
    const b = turnOf('s2', [usd(0.12)], 10);
    const t = usageTotals([a, b]);
    expect(t?.cost?.amount).toBeCloseTo(0.42);
    expect(totalsText(t as NonNullable<typeof t>)).toBe('100 tokens · $0.42');
    expect(totalsText({ tokens: 12_300, contextOnly: false, cost: { amount: 1, currency: 'EUR' } })).toBe(
      '12.3k tokens · 1.00 EUR',
    );
  });
  it('ignores malformed fields', () => {
    const a = turnOf(
      's1',
      [
        { used: 'many', size: 1 },
        { turn: true, totalTokens: -5 },
      ],
      1,
    );
    expect(usageTotals([a])).toBeNull();
  });
});
