// Pure helpers of the fork, edit and import actions and of the conversation's usage totals
// (docs/CONTRACT.md "The agent's own sessions and forks", "Export and import"). Kept free of the
// DOM so test/web/fork.test.ts checks them directly.

import type { SessionView } from '../../state/session';

/** Why the fork's agent starts a fresh session, in words (the server's `freshReason`). */
const FRESH_REASON: Record<string, string> = {
  not_latest: 'an agent session can only be forked at its end, and this fork starts from an earlier message',
  no_agent_session: 'the original conversation had no agent session to fork',
  turn_running: 'the agent was still working in the original conversation',
  not_offered: 'this agent cannot fork its sessions',
  refused: 'the agent refused to fork its session',
  agent_failed: 'the agent failed when asked to fork its session',
  agent_unavailable: 'the agent could not be started to fork its session',
};

/** The notice shown in a fork whose agent does not remember the copied history. */
export function freshSessionNotice(reason: string | null | undefined): string {
  const why = (reason && FRESH_REASON[reason]) || 'the agent session could not be forked';
  return `The agent starts a fresh session; earlier messages are shown as history. (Why: ${why}.)`;
}

/** "950", "1.2k", "12.3k", "340k", "1.5M": short enough for a header. */
export function compactTokens(n: number): string {
  if (n < 1000) return String(Math.round(n));
  if (n < 1_000_000) {
    const k = n / 1000;
    return `${k < 100 ? k.toFixed(1).replace(/\.0$/, '') : Math.round(k)}k`;
  }
  return `${(n / 1_000_000).toFixed(1).replace(/\.0$/, '')}M`;
}

export interface UsageTotals {
  /** Tokens: the sum of the turns' own totals where agents report them, else the context in use. */
  tokens: number;
  /** True when `tokens` is the context in use (ACP `used`), not a sum of the turns' totals. */
  contextOnly: boolean;
  /** The cost, per currency; ACP's `cost` is cumulative for an agent session. */
  cost: { amount: number; currency: string } | null;
}

type Json = Record<string, unknown>;
const num = (v: unknown): number | null => (typeof v === 'number' && Number.isFinite(v) && v >= 0 ? v : null);

/** A turn's own token total from a `usage` event with `turn: true` (src/agents/prompt-usage.ts). */
function turnTokens(ev: Json): number | null {
  const total = num(ev.totalTokens);
  if (total !== null) return total;
  const input = num(ev.inputTokens);
  const output = num(ev.outputTokens);
  return input === null && output === null ? null : (input ?? 0) + (output ?? 0);
}

/**
 * The totals of the turns a view holds, from their `usage` events. ACP's `usage_update` carries
 * the context in use (`used`, which grows over an agent session, so it is not summed: the latest
 * counts) and a cumulative `cost` (the latest of each agent session counts); a turn's own totals
 * (`turn: true`) are summed. Null when no turn reported anything.
 */
export function usageTotals(sessions: readonly SessionView[]): UsageTotals | null {
  let summed = 0;
  let anyTurn = false;
  let latestUsed: number | null = null;
  let cost: UsageTotals['cost'] = null;
  // Cost is cumulative per agent session; a fresh one (a fork, a restart) starts from zero again,
  // which shows as a drop: the amount before the drop is added to the total.
  let costBase = 0;
  let lastCost = 0;
  for (const s of sessions) {
    for (const ev of s.log) {
      if (ev.type !== 'usage') continue;
      const e = ev as unknown as Json;
      if (e.turn === true) {
        const t = turnTokens(e);
        if (t !== null) {
          summed += t;
          anyTurn = true;
        }
        continue;
      }
      const used = num(e.used);
      if (used !== null) latestUsed = used;
      const c = e.cost as Json | null | undefined;
      const amount = c ? num(c.amount) : null;
      if (c && amount !== null && typeof c.currency === 'string') {
        if (amount < lastCost) costBase += lastCost;
        lastCost = amount;
        cost = { amount: costBase + amount, currency: c.currency };
      }
    }
  }
  if (!anyTurn && latestUsed === null && !cost) return null;
  return { tokens: anyTurn ? summed : (latestUsed ?? 0), contextOnly: !anyTurn, cost };
}

/** "12.3k tokens · $0.42" (other currencies by their code: "0.42 EUR"). */
export function totalsText(t: UsageTotals): string {
  const tokens = `${compactTokens(t.tokens)} tokens`;
  if (!t.cost) return tokens;
  const amount = t.cost.amount.toFixed(2);
  return `${tokens} · ${t.cost.currency === 'USD' ? `$${amount}` : `${amount} ${t.cost.currency}`}`;
}
