import type { FastifyBaseLogger } from 'fastify';
import { errors } from '../../domain/errors.ts';
import type { Store } from '../../store/types.ts';
import { workspaceErrors } from '../errors.ts';
import { conversationFolder } from '../folder.ts';
import { shellProgram, spawnShell } from './pty.ts';
import { Terminal } from './terminal.ts';

// Every terminal of this server process (docs/CONTRACT.md section 9, "Terminals"). A terminal belongs to
// a conversation: deleting the conversation closes it. The manager learns of deletions the way the
// runner does (docs/DESIGN.md point 3), by reading the log's lifecycle events after a cursor, so a
// deletion through any instance or route reaches it.

export const MAX_PER_CONVERSATION = 4;
export const MAX_TERMINALS = 32;

export class TerminalManager {
  private readonly terminals = new Map<string, Terminal>();
  private cursor = 0;
  private reading: Promise<void> | null = null;
  private again = false;
  private unsubscribe: (() => void) | null = null;

  constructor(
    private readonly store: Store,
    private readonly roots: string[],
    private readonly log: FastifyBaseLogger,
  ) {}

  async start(): Promise<void> {
    this.cursor = await this.store.lastSeq();
    this.unsubscribe = this.store.onAppend((last) => {
      // Nothing to close: no need to read what was appended.
      if (this.terminals.size === 0) this.cursor = Math.max(this.cursor, last);
      else this.follow();
    });
  }

  private follow(): void {
    if (this.reading) {
      this.again = true;
      return;
    }
    this.reading = (async () => {
      do {
        this.again = false;
        for (;;) {
          const page = await this.store.readEvents({ after: this.cursor, lifecycleOnly: true, limit: 500 });
          for (const e of page) {
            this.cursor = e.seq;
            if (e.type === 'conversation_deleted') void this.closeConversation(e.conversationId);
          }
          if (page.length < 500) break;
        }
      } while (this.again);
    })()
      .catch((err) => this.log.warn({ err: String(err) }, 'terminals: could not read the log'))
      .finally(() => {
        this.reading = null;
      });
  }

  list(conversationId: string): Terminal[] {
    return [...this.terminals.values()].filter((t) => t.conversationId === conversationId);
  }

  get(conversationId: string, id: string): Terminal | null {
    const t = this.terminals.get(id);
    return t && t.conversationId === conversationId ? t : null;
  }

  async create(conversationId: string, cols: number, rows: number): Promise<Terminal> {
    const cwd = await conversationFolder(this.store, this.roots, conversationId);
    if (this.list(conversationId).length >= MAX_PER_CONVERSATION)
      throw workspaceErrors.tooManyTerminals(MAX_PER_CONVERSATION, 'This conversation');
    if (this.terminals.size >= MAX_TERMINALS) throw workspaceErrors.tooManyTerminals(MAX_TERMINALS, 'The server');
    const shell = shellProgram();
    const pty = await spawnShell(shell, cwd, cols, rows);
    const t = new Terminal(conversationId, shell, cwd, cols, rows, pty);
    this.terminals.set(t.id, t);
    // A conversation deleted while the shell was starting: the log already said so.
    if (!(await this.store.getConversation(conversationId))) {
      await this.remove(conversationId, t.id);
      throw errors.notFound('Conversation');
    }
    return t;
  }

  async remove(conversationId: string, id: string): Promise<boolean> {
    const t = this.get(conversationId, id);
    if (!t) return false;
    this.terminals.delete(id);
    await t.kill();
    return true;
  }

  async closeConversation(conversationId: string): Promise<void> {
    await Promise.all(this.list(conversationId).map((t) => this.remove(conversationId, t.id)));
  }

  async stop(): Promise<void> {
    this.unsubscribe?.();
    const all = [...this.terminals.values()];
    this.terminals.clear();
    await Promise.all(all.map((t) => t.kill()));
  }
}
