import { randomBytes } from 'node:crypto';

/** Sortable-enough, unguessable ids: a prefix says what it names, so logs and bug reports read well. */
export function newId(prefix: 'conv' | 'msg' | 'sess' | 'perm'): string {
  return `${prefix}_${Date.now().toString(36)}${randomBytes(10).toString('hex')}`;
}
