import { createHash, type Hash } from 'node:crypto';
import type { StoredEvent } from '../domain/types.ts';

// The JSONL export of one conversation (docs/CONTRACT.md "Export and import"): one JSON object per
// line. The first line is the header (format, version, the conversation row), then every event of the
// conversation's log in seq order exactly as the API sends it, then the trailer: the counts and the
// SHA-256 of the event lines (each line's UTF-8 bytes followed by "\n"), so an import can tell a
// complete, unchanged file from a cut or edited one before it writes anything.

export const EXPORT_FORMAT = 'gmgui.conversation';
export const EXPORT_VERSION = 1;

export interface ExportHeader {
  format: typeof EXPORT_FORMAT;
  version: typeof EXPORT_VERSION;
  exportedAt: number;
  /** The conversation row as of the last exported event. */
  conversation: unknown;
}

export interface ExportTrailer {
  format: typeof EXPORT_FORMAT;
  end: true;
  events: number;
  messages: number;
  sessions: number;
  sha256: string;
}

/** The running SHA-256 over event lines, as the trailer states it. */
export class LineHash {
  private readonly h: Hash = createHash('sha256');
  count = 0;
  add(line: string): void {
    this.h.update(line);
    this.h.update('\n');
    this.count++;
  }
  hex(): string {
    return this.h.digest('hex');
  }
}

/**
 * One event's content without its seq, in a fixed key order: two logs hold the same conversation when
 * these are equal line for line (seq differs between servers: it numbers each server's whole log).
 */
export function contentLine(e: StoredEvent): string {
  const { seq: _s, type, conversationId, sessionId, created_at, ...fields } = e;
  return JSON.stringify({ type, conversationId, sessionId, created_at, ...fields });
}
