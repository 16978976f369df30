import { createRequire } from 'node:module';
import { Worker } from 'node:worker_threads';
import type Database from 'better-sqlite3';
import { StoreUnavailableError } from '../../domain/errors.ts';
import type { DataPiece, EventQuery, RawEventRow } from '../types.ts';

// Raw event rows for history pages (CONTRACT section 8, "Paged history"): sent as stored, never parsed
// and serialized again. `octet_length(data)` does not load the value (SQLite reads only the record
// header), so a row over the caller's inline cap costs nothing here; its data is read in slices by a
// worker thread with its own read-only connection. A single synchronous read of a 100 MB row holds the
// event loop a third of a second (measured) and the whole row in memory; a slice in the worker holds
// neither the loop nor, once it is handed over, more than the slice. Events never change once
// appended, so the worker's connection reads the same bytes as the main one.

const WORKER_SOURCE = `
const { parentPort, workerData } = require('node:worker_threads');
const Database = require(workerData.driver);
const db = new Database(workerData.file, { readonly: true, fileMustExist: true });
db.pragma('busy_timeout = 5000');
const slice = db.prepare('SELECT substr(CAST(data AS BLOB), ?, ?) AS d FROM events WHERE seq = ?').pluck();
parentPort.on('message', ({ id, seq, from, max }) => {
  try {
    const d = slice.get(from + 1, max, seq);
    if (d === undefined || d === null) return parentPort.postMessage({ id, missing: true });
    const own = d.byteOffset === 0 && d.byteLength === d.buffer.byteLength;
    const bytes = own ? new Uint8Array(d.buffer) : new Uint8Array(d);
    parentPort.postMessage({ id, bytes }, [bytes.buffer]);
  } catch (e) {
    parentPort.postMessage({ id, error: String((e && e.message) || e) });
  }
});
`;

interface Reply {
  id: number;
  bytes?: Uint8Array;
  missing?: true;
  error?: string;
}

export class RawEvents {
  private readonly statements = new Map<string, Database.Statement<unknown[], RawEventRow>>();
  private worker: Worker | null = null;
  private nextId = 1;
  private readonly pending = new Map<number, { resolve(r: Reply): void; reject(e: Error): void }>();

  constructor(
    private readonly rdb: Database.Database,
    private readonly file: string,
  ) {}

  /** Same filters and precedence as SqliteStore.readEvents; runs on the caller's (main) connection. */
  rows(q: EventQuery, inlineMax: number): RawEventRow[] {
    const where = ['seq > ?'];
    const params: unknown[] = [];
    if (q.sessionId) {
      where.unshift('session_id = ?');
      params.push(q.sessionId);
    } else if (q.conversationId) {
      where.unshift('conversation_id = ?');
      params.push(q.conversationId);
    }
    if (q.lifecycleOnly) where.push('lifecycle = 1');
    const sql = `SELECT seq, type, conversation_id, session_id, created_at, octet_length(data) AS size,
      CASE WHEN octet_length(data) <= ? THEN data END AS data
      FROM events WHERE ${where.join(' AND ')} ORDER BY seq LIMIT ?`;
    let st = this.statements.get(sql);
    if (!st) {
      st = this.rdb.prepare<unknown[], RawEventRow>(sql);
      this.statements.set(sql, st);
    }
    return st.all(inlineMax, ...params, q.after, Math.max(1, Math.min(q.limit, 10_000)));
  }

  async data(seq: number, from: number, max: number): Promise<DataPiece | null> {
    const r = await this.ask(seq, from, max);
    if (r.error !== undefined) throw new StoreUnavailableError(new Error(r.error));
    if (r.missing || !r.bytes) return null;
    return { piece: r.bytes, next: from + r.bytes.byteLength, done: r.bytes.byteLength < max };
  }

  private ask(seq: number, from: number, max: number): Promise<Reply> {
    const worker = this.start();
    const id = this.nextId++;
    return new Promise<Reply>((resolve, reject) => {
      this.pending.set(id, { resolve, reject });
      worker.postMessage({ id, seq, from, max });
    });
  }

  private start(): Worker {
    if (this.worker) return this.worker;
    const driver = createRequire(import.meta.url).resolve('better-sqlite3');
    const w = new Worker(WORKER_SOURCE, { eval: true, workerData: { driver, file: this.file } });
    // Idle, it must not keep the process alive (the server's own shutdown terminates it too).
    w.unref();
    w.on('message', (r: Reply) => {
      const p = this.pending.get(r.id);
      this.pending.delete(r.id);
      p?.resolve(r);
    });
    const fail = (e: Error) => {
      if (this.worker === w) this.worker = null;
      for (const p of this.pending.values()) p.reject(new StoreUnavailableError(e));
      this.pending.clear();
    };
    w.on('error', fail);
    w.on('exit', (code) => fail(new Error(`history reader exited (${code})`)));
    this.worker = w;
    return w;
  }

  async close(): Promise<void> {
    const w = this.worker;
    this.worker = null;
    if (w) await w.terminate();
  }
}
