import { join } from 'node:path';

// What the built-in demo agent says, as data: a deterministic script per kind of prompt, so the web
// UI (and its tests) can rely on every kind of ACP update appearing, always in the same order.

export type DemoStep =
  | { kind: 'update'; update: Record<string, unknown> }
  | { kind: 'permission'; toolCall: Record<string, unknown>; onAllow: DemoStep[]; onReject: DemoStep[] }
  | { kind: 'pause'; ms: number };

export interface DemoTiming {
  /** Pause between steps of a normal answer. */
  stepMs: number;
  /** Total duration of the `/long` answer. */
  longMs: number;
  /** How many chunks the `/long` answer has. */
  longChunks: number;
}

export const PERMISSION_OPTIONS = [
  { optionId: 'allow_once', name: 'Allow once', kind: 'allow_once' },
  { optionId: 'allow_always', name: 'Always allow edits', kind: 'allow_always' },
  { optionId: 'reject_once', name: 'Reject', kind: 'reject_once' },
] as const;

const text = (t: string): DemoStep => ({
  kind: 'update',
  update: { sessionUpdate: 'agent_message_chunk', content: { type: 'text', text: t } },
});
const thought = (t: string): DemoStep => ({
  kind: 'update',
  update: { sessionUpdate: 'agent_thought_chunk', content: { type: 'text', text: t } },
});
const pause = (ms: number): DemoStep => ({ kind: 'pause', ms });

const PLAN = ['Read the project notes', 'Propose an edit to the notes', 'Summarize the change'];
function plan(done: number): DemoStep {
  return {
    kind: 'update',
    update: {
      sessionUpdate: 'plan',
      entries: PLAN.map((content, i) => ({
        content,
        priority: i === 0 ? 'high' : 'medium',
        status: i < done ? 'completed' : i === done ? 'in_progress' : 'pending',
      })),
    },
  };
}

/** Splits text into chunks of a few words, the way a model streams. */
function chunks(s: string, words = 4): string[] {
  const parts = s.split(/(?<= )/);
  const out: string[] = [];
  for (let i = 0; i < parts.length; i += words) out.push(parts.slice(i, i + words).join(''));
  return out;
}

function quote(prompt: string): string {
  const one = prompt.replace(/\s+/g, ' ').trim();
  return one.length > 60 ? `${one.slice(0, 60)}…` : one;
}

/** `mode` is the session's mode: in `plan` the demo proposes its edit but never asks to make it. */
export function demoScript(prompt: string, cwd: string, timing: DemoTiming, mode = 'default'): DemoStep[] {
  if (prompt.includes('/quick')) return [text('Quick answer: **ok**.')];
  if (prompt.includes('/mode')) return [text(`I am in the **${mode}** mode.`)];
  if (prompt.includes('/xss')) return xssScript();
  if (prompt.includes('/long')) return longScript(timing);
  return fullScript(prompt, cwd, timing.stepMs, mode === 'plan');
}

function xssScript(): DemoStep[] {
  return [
    text('Here is some **untrusted** markup that must be shown, not run:\n\n'),
    text('<img src=x onerror="window.__xss=1">\n\n'),
    text('<script>window.__xss=2</script>\n\n'),
    text('If you can read this sentence and nothing ran, sanitizing works.'),
  ];
}

function longScript(timing: DemoTiming): DemoStep[] {
  const steps: DemoStep[] = [text('# A long answer\n\n')];
  const gap = Math.max(0, Math.floor(timing.longMs / timing.longChunks));
  for (let i = 1; i < timing.longChunks; i++) {
    steps.push(pause(gap));
    const end = i % 10 === 0 ? '\n\n' : ' ';
    steps.push(text(`Sentence ${i} of the long answer streams slowly.${end}`));
  }
  steps.push(pause(gap));
  steps.push(text('\n\nThe end.'));
  return steps;
}

function fullScript(prompt: string, cwd: string, stepMs: number, planOnly: boolean): DemoStep[] {
  const notes = join(cwd, 'NOTES.md');
  const oldText = '# Notes\n\nTODO: write the notes.\n';
  const newText = '# Notes\n\nThis project is driven from gmgui.\n\n- Ask the demo agent anything.\n';
  const p = pause(stepMs);
  const answer = [
    `You asked: "${quote(prompt)}".\n\n`,
    'I read `NOTES.md` and proposed a small edit. Here is what it would look like:\n\n',
    '```markdown\n# Notes\n\nThis project is driven from gmgui.\n```\n\n',
    'Things to try next:\n\n',
    '1. Send `/long` for a slow, long answer (try **Cancel**).\n',
    '2. Send `/quick` for a one-line answer.\n',
    '3. Send `/xss` to check that untrusted HTML is shown safely.\n',
  ];
  return [
    thought('The user wants a demonstration. '),
    p,
    thought('I will read the notes, propose an edit, then summarize.'),
    p,
    plan(0),
    p,
    {
      kind: 'update',
      update: {
        sessionUpdate: 'tool_call',
        toolCallId: 'demo-read',
        title: 'Read NOTES.md',
        kind: 'read',
        status: 'pending',
        locations: [{ path: notes }],
        rawInput: { path: notes },
      },
    },
    p,
    {
      kind: 'update',
      update: { sessionUpdate: 'tool_call_update', toolCallId: 'demo-read', status: 'in_progress' },
    },
    p,
    {
      kind: 'update',
      update: {
        sessionUpdate: 'tool_call_update',
        toolCallId: 'demo-read',
        status: 'completed',
        content: [{ type: 'content', content: { type: 'text', text: oldText } }],
      },
    },
    p,
    plan(1),
    p,
    ...(planOnly ? planOnlyEdit : askToEdit(notes, oldText, newText, stepMs)),
    p,
    plan(2),
    p,
    ...chunks(answer.join('')).flatMap((c) => [text(c), pause(Math.ceil(stepMs / 4))]),
    plan(3),
    { kind: 'update', update: { sessionUpdate: 'usage_update', used: 1200 + prompt.length, size: 200000 } },
  ];
}

/** The edit, for real only after the user allows it (the permission request). */
function askToEdit(notes: string, oldText: string, newText: string, stepMs: number): DemoStep[] {
  return [
    {
      kind: 'update',
      update: {
        sessionUpdate: 'tool_call',
        toolCallId: 'demo-edit',
        title: 'Edit NOTES.md',
        kind: 'edit',
        status: 'pending',
        locations: [{ path: notes, line: 3 }],
        content: [{ type: 'diff', path: notes, oldText, newText }],
        rawInput: { path: notes, oldText, newText },
      },
    },
    pause(stepMs),
    {
      kind: 'permission',
      toolCall: { toolCallId: 'demo-edit', title: 'Edit NOTES.md', kind: 'edit', status: 'pending' },
      onAllow: [
        {
          kind: 'update',
          update: { sessionUpdate: 'tool_call_update', toolCallId: 'demo-edit', status: 'in_progress' },
        },
        pause(stepMs),
        // Simulated: the demo never touches the user's files.
        {
          kind: 'update',
          update: { sessionUpdate: 'tool_call_update', toolCallId: 'demo-edit', status: 'completed' },
        },
      ],
      onReject: [
        {
          kind: 'update',
          update: { sessionUpdate: 'tool_call_update', toolCallId: 'demo-edit', status: 'failed' },
        },
        text('You declined the edit, so I left `NOTES.md` as it was.\n\n'),
      ],
    },
  ];
}

const planOnlyEdit: DemoStep[] = [
  text('*Plan mode:* I would now edit `NOTES.md`; switch to the Default mode to let me.\n\n'),
];
