import type { OutputEventBody } from '../domain/events.ts';

// Builds the assistant message's `{text, blocks}` from the turn's events, in the order they came:
// consecutive text (or thought) chunks merge into one block, a tool call's updates merge into its
// block, the plan is one block updated in place. `text` is every text_delta concatenated, exactly.

export type AssistantBlock =
  | { type: 'text'; text: string }
  | { type: 'thought'; text: string }
  | { type: 'tool_call'; toolCallId: string; [field: string]: unknown }
  | { type: 'plan'; entries: unknown[] }
  | { type: 'content'; content: unknown };

export class AssistantAccumulator {
  private readonly parts: string[] = [];
  readonly blocks: AssistantBlock[] = [];
  private readonly tools = new Map<string, Extract<AssistantBlock, { type: 'tool_call' }>>();
  private plan: Extract<AssistantBlock, { type: 'plan' }> | null = null;

  get text(): string {
    return this.parts.join('');
  }

  get isEmpty(): boolean {
    return this.blocks.length === 0;
  }

  /** A tool call of the turn with its updates merged, when it was announced. */
  tool(toolCallId: string): Record<string, unknown> | undefined {
    return this.tools.get(toolCallId);
  }

  add(e: OutputEventBody): void {
    const last = this.blocks.at(-1);
    switch (e.type) {
      case 'text_delta':
      case 'thought_delta': {
        const kind = e.type === 'text_delta' ? 'text' : 'thought';
        const text = e.text;
        if (kind === 'text') this.parts.push(text);
        if (last && last.type === kind) last.text += text;
        else this.blocks.push({ type: kind, text });
        return;
      }
      case 'tool_call': {
        const { type: _t, ...fields } = e;
        const block = { ...fields, type: 'tool_call' as const };
        const known = this.tools.get(block.toolCallId);
        if (known) Object.assign(known, block);
        else {
          this.tools.set(block.toolCallId, block);
          this.blocks.push(block);
        }
        return;
      }
      case 'tool_update': {
        const { type: _t, ...fields } = e;
        const id = e.toolCallId;
        const known = this.tools.get(id);
        // A tool_call_update may arrive for a call we never saw announced: it starts the block.
        if (known) Object.assign(known, fields);
        else {
          const block = { ...fields, type: 'tool_call' as const, toolCallId: id };
          this.tools.set(id, block);
          this.blocks.push(block);
        }
        return;
      }
      case 'plan': {
        const entries = e.entries;
        if (this.plan) this.plan.entries = entries;
        else {
          this.plan = { type: 'plan', entries };
          this.blocks.push(this.plan);
        }
        return;
      }
      case 'agent_update': {
        const u = e.update as { sessionUpdate?: string; content?: unknown } | null;
        if (u && u.sessionUpdate === 'agent_message_chunk')
          this.blocks.push({ type: 'content', content: u.content });
        return;
      }
      default:
        return;
    }
  }
}
