import { parseEvent } from '../domain/events.ts';
import type { Message } from '../domain/types.ts';
import type { Store } from '../store/types.ts';
import { eventPages, snapshot } from './export.ts';

// The readable export: the title, then each user message and the agent's answer in order, the tool
// calls of a turn summarised (one line each: title, kind, final status) before its answer. Streamed
// from the log like the JSONL export; only the current turn's tool calls are held.

interface ToolLine {
  title: string;
  kind: string;
  status: string;
}

const iso = (ms: number) => new Date(ms).toISOString().replace(/\.\d{3}Z$/, 'Z');

function textOf(m: Message): string {
  return typeof m.content === 'string' ? m.content : m.content.text;
}

/** A quote block, so the message's own Markdown (headings, fences) stays inside its section. */
const quote = (text: string) =>
  text
    .split('\n')
    .map((l) => (l ? `> ${l}` : '>'))
    .join('\n');

function toolSummary(tools: Map<string, ToolLine>): string {
  if (tools.size === 0) return '';
  const lines = [...tools.values()].map(
    (t) => `- \`${t.kind}\` ${t.title.replace(/\n/g, ' ')} (${t.status})`,
  );
  tools.clear();
  return `Tool calls:\n\n${lines.join('\n')}\n\n`;
}

export async function* markdownExport(store: Store, id: string): AsyncGenerator<string> {
  const { conversation, upTo } = await snapshot(store, id);
  yield `# ${conversation.title || 'Untitled conversation'}\n\n`;
  yield `Agent \`${conversation.agentId}\`, folder \`${conversation.cwd}\`, started ${iso(conversation.created_at)}.\n\n`;
  const tools = new Map<string, ToolLine>();
  for await (const page of eventPages(store, id, upTo)) {
    const out: string[] = [];
    for (const row of page.events) {
      const r = parseEvent(row);
      // An event this server cannot read is left out of the readable form (the JSONL keeps it).
      if (!r.ok) continue;
      const e = r.event;
      switch (e.type) {
        case 'message_created': {
          const m = e.message;
          const who = m.role === 'user' ? 'You' : 'Agent';
          const body = m.role === 'user' ? quote(textOf(m)) : textOf(m);
          const summary = m.role === 'assistant' ? toolSummary(tools) : '';
          out.push(`## ${who} · ${iso(m.created_at)}\n\n${summary}${body}\n\n`);
          break;
        }
        case 'tool_call':
          tools.set(e.toolCallId, { title: e.title, kind: e.kind, status: e.status });
          break;
        case 'tool_update': {
          const t = tools.get(e.toolCallId);
          if (!t) break;
          if (e.title) t.title = e.title;
          if (e.status) t.status = e.status;
          if (e.rejected) t.status = 'rejected';
          break;
        }
        case 'session_updated':
          // A turn that ended without an answer still shows what it did and why it stopped.
          if (e.status !== 'completed' && e.status !== 'pending' && e.status !== 'processing' && !e.message) {
            const why = e.error ? `: ${e.error}` : '';
            out.push(`## Agent · ${iso(e.created_at)}\n\n${toolSummary(tools)}_Turn ${e.status}${why}_\n\n`);
          }
          break;
        default:
          break;
      }
    }
    if (out.length) yield out.join('');
  }
  const rest = toolSummary(tools);
  if (rest) yield `## Agent\n\n${rest}`;
}
