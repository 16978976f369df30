import { randomUUID } from 'node:crypto';
import type WebSocket from 'ws';
import { ByteRing } from './ring.ts';
import type { Pty } from './pty.ts';
import type { TerminalInfo } from '../types.ts';

// One terminal: a shell on a pseudo-terminal, its scrollback, and the sockets attached to it
// (docs/CONTRACT.md section 9, "Terminals"). Output goes to the ring and to every socket; a socket that
// falls too far behind is closed (4008) and reattaches with the scrollback.

export const SCROLLBACK_BYTES = 256 * 1024;
export const MAX_SOCKET_BACKLOG = 4 * 1024 * 1024;
export const CLOSE_BEHIND = 4008;
/** After SIGHUP, how long a shell gets before its process group is killed. */
const KILL_AFTER_MS = 2000;

export class Terminal {
  readonly id = randomUUID();
  readonly created_at = Date.now();
  readonly sockets = new Set<WebSocket>();
  readonly exited: Promise<void>;
  private readonly ring = new ByteRing(SCROLLBACK_BYTES);
  private exit: TerminalInfo['exit'] = null;

  constructor(
    readonly conversationId: string,
    readonly shell: string,
    readonly cwd: string,
    private cols: number,
    private rows: number,
    private readonly pty: Pty,
  ) {
    pty.onData((data) => this.output(Buffer.from(data, 'utf8')));
    this.exited = new Promise((resolve) => {
      pty.onExit(({ exitCode, signal }) => {
        this.exit = { code: exitCode, signal: signal || null };
        const frame = JSON.stringify({ op: 'exit', ...this.exit });
        for (const ws of this.sockets) ws.send(frame);
        resolve();
      });
    });
  }

  info(): TerminalInfo {
    const { id, conversationId, shell, cwd, cols, rows, created_at, exit } = this;
    return { id, conversationId, pid: this.pty.pid, shell, cwd, cols, rows, created_at, exit };
  }

  private output(chunk: Buffer): void {
    this.ring.push(chunk);
    for (const ws of this.sockets) {
      if (ws.bufferedAmount > MAX_SOCKET_BACKLOG) {
        this.sockets.delete(ws);
        ws.close(CLOSE_BEHIND, 'fell behind: reattach for the scrollback');
      } else ws.send(chunk, { binary: true });
    }
  }

  /** A new socket: the terminal as it is, its scrollback, then live output. */
  attach(ws: WebSocket): void {
    ws.send(JSON.stringify({ op: 'attached', terminal: this.info() }));
    if (this.ring.size) ws.send(this.ring.contents(), { binary: true });
    if (this.exit) ws.send(JSON.stringify({ op: 'exit', ...this.exit }));
    this.sockets.add(ws);
    ws.once('close', () => this.sockets.delete(ws));
  }

  input(data: string): void {
    if (!this.exit) this.pty.write(data);
  }

  resize(cols: number, rows: number): void {
    if (this.exit) return;
    this.cols = cols;
    this.rows = rows;
    this.pty.resize(cols, rows);
  }

  /** Hangs up the shell (its whole process group if it lingers) and closes the sockets. */
  async kill(): Promise<void> {
    if (!this.exit) {
      try {
        this.pty.kill('SIGHUP');
      } catch {
        // Already gone.
      }
      const timer = setTimeout(() => {
        try {
          process.kill(-this.pty.pid, 'SIGKILL');
        } catch {
          // Gone meanwhile.
        }
      }, KILL_AFTER_MS);
      await this.exited;
      clearTimeout(timer);
    }
    for (const ws of this.sockets) ws.close(1000, 'terminal closed');
    this.sockets.clear();
  }
}
