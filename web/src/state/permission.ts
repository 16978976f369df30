// What a permission request asks and how it was decided (docs/CONTRACT.md section 11, "Approvals"):
// `permission_requested` carries the tool call completed with what the turn knew of it (its diffs),
// the command line of a shell call and the paths it touches; `permission_resolved` says who decided
// (a person, an "always allow" rule, the auto-approve switch) and which option.

import type { GmEvent, PermissionOption } from '../types';

export interface PermissionDiff {
  path: string;
  oldText: string | null;
  newText: string;
}

export interface PermissionView {
  requestId: string;
  title: string;
  toolCallId: string | null;
  options: PermissionOption[];
  /** The shell command asked to run, when it is one. */
  command: string | null;
  /** The files it touches. */
  paths: string[];
  /** The edits it would make. */
  diffs: PermissionDiff[];
}

export interface DecisionView {
  requestId: string;
  title: string;
  toolCallId: string | null;
  /** Absent when the request was closed unanswered (the turn ended or was stopped). */
  decidedBy: 'user' | 'rule' | 'auto' | null;
  optionName: string | null;
  optionKind: string | null;
  rule: string | null;
}

function asObject(v: unknown): Record<string, unknown> | null {
  return v !== null && typeof v === 'object' && !Array.isArray(v) ? (v as Record<string, unknown>) : null;
}

const text = (v: unknown): string | null => (typeof v === 'string' && v ? v : null);

function diffsOf(toolCall: Record<string, unknown> | null): PermissionDiff[] {
  const content = toolCall && Array.isArray(toolCall.content) ? toolCall.content : [];
  const out: PermissionDiff[] = [];
  for (const c of content) {
    const o = asObject(c);
    if (o?.type !== 'diff' || typeof o.path !== 'string' || typeof o.newText !== 'string') continue;
    out.push({ path: o.path, oldText: typeof o.oldText === 'string' ? o.oldText : null, newText: o.newText });
  }
  return out;
}

/** The view of a `permission_requested` event; null when it names no request. */
export function permissionFrom(ev: GmEvent): PermissionView | null {
  const requestId = text(ev.requestId);
  if (!requestId) return null;
  const tc = asObject(ev.toolCall);
  const paths = Array.isArray(ev.paths) ? ev.paths.filter((p): p is string => typeof p === 'string') : [];
  return {
    requestId,
    title: text(tc?.title) ?? 'The agent asks for permission',
    toolCallId: text(tc?.toolCallId),
    options: Array.isArray(ev.options) ? (ev.options as PermissionOption[]) : [],
    command: text(ev.command),
    paths,
    diffs: diffsOf(tc),
  };
}

/** How a request was settled, from its `permission_resolved` event. */
export function decisionFrom(p: PermissionView, ev: GmEvent): DecisionView {
  const by = ev.decidedBy;
  // Events written before `decidedBy` existed: a selected option was a person's unless automatic.
  const fallback = ev.outcome === 'selected' ? (ev.automatic === true ? 'auto' : 'user') : null;
  return {
    requestId: p.requestId,
    title: p.title,
    toolCallId: p.toolCallId,
    decidedBy: by === 'user' || by === 'rule' || by === 'auto' ? by : fallback,
    optionName: text(ev.optionName),
    optionKind: text(ev.optionKind),
    rule: text(ev.rule),
  };
}

/** "Allowed once by you", "Allowed by a rule (kind:edit)", "Rejected by you", "Auto-approved"… */
export function decisionText(d: DecisionView): string {
  const rejected = d.optionKind?.startsWith('reject') ?? false;
  const what = d.optionName ? `“${d.optionName}”` : rejected ? 'Rejected' : 'Allowed';
  switch (d.decidedBy) {
    case 'user':
      return d.optionName ? `You chose ${what}` : `${what} by you`;
    case 'rule':
      return `${rejected ? 'Rejected' : 'Allowed'} by your “always allow” rule${d.rule ? ` (${d.rule})` : ''}`;
    case 'auto':
      return 'Allowed by auto-approve';
    default:
      return 'Not answered: the turn ended first';
  }
}
