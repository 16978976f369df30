import assert from 'node:assert/strict';
import { readdirSync, readFileSync } from 'node:fs';
import { join, relative } from 'node:path';
import { describe, test } from 'node:test';
import { declaredErrorCodes } from '../../src/domain/errors.ts';
import { ROOT } from '../helpers/server.ts';

// docs/CONTRACT.md lists every error code the server can send (Fastify's habit: every declared error
// appears in the docs). The codes come from the declared constructors in src/domain/errors.ts and from
// any code still written as a literal somewhere in src/ (`code: 'x'`, `new AppError(400, 'x', …)`).

const CODE = /^[a-z][a-z0-9_]*$/;
const LITERALS = [/\bcode:\s*'([a-z][a-z0-9_]*)'/g, /new AppError\(\s*\d{3}\s*,\s*'([a-z][a-z0-9_]*)'/g];

function sourceFiles(dir: string): string[] {
  return readdirSync(dir, { withFileTypes: true }).flatMap((d) => {
    const path = join(dir, d.name);
    if (d.isDirectory()) return sourceFiles(path);
    return d.name.endsWith('.ts') ? [path] : [];
  });
}

/** Each literal code in src/, with the files that write it. */
function literalCodes(): Map<string, string[]> {
  const found = new Map<string, string[]>();
  for (const file of sourceFiles(join(ROOT, 'src'))) {
    const text = readFileSync(file, 'utf8');
    for (const re of LITERALS) {
      for (const m of text.matchAll(re)) {
        const where = found.get(m[1]) ?? [];
        where.push(relative(ROOT, file));
        found.set(m[1], where);
      }
    }
  }
  return found;
}

/** The rows of the "Error codes" table of docs/CONTRACT.md: code → status ("400", …, or "WS frame"). */
function contractTable(): Map<string, string> {
  const doc = readFileSync(join(ROOT, 'docs', 'CONTRACT.md'), 'utf8');
  const start = doc.indexOf('### Error codes');
  assert.ok(start >= 0, 'docs/CONTRACT.md has a "### Error codes" section');
  const rows = new Map<string, string>();
  for (const line of doc.slice(start).split('\n').slice(1)) {
    if (line.startsWith('#')) break;
    const m = /^\|\s*`([^`]+)`\s*\|\s*([^|]+?)\s*\|/.exec(line);
    if (!m) continue;
    assert.ok(!rows.has(m[1]), `"${m[1]}" has one row in the error code table`);
    rows.set(m[1], m[2]);
  }
  return rows;
}

describe('docs/CONTRACT.md lists every error code', () => {
  const declared = declaredErrorCodes();
  const literals = literalCodes();
  const table = contractTable();

  test('each code is declared once, as a stable word', () => {
    const codes = declared.map((d) => d.code);
    assert.ok(codes.length > 20, 'the declarations were found');
    assert.deepEqual(
      codes.filter((c, i) => codes.indexOf(c) !== i),
      [],
      'no code declared twice',
    );
    for (const { code, status } of declared) {
      assert.match(code, CODE);
      assert.ok(status >= 400 && status < 600, `${code}: ${status} is an error status`);
    }
  });

  test('every declared code has a row with its status', () => {
    for (const { code, status } of declared) {
      assert.equal(table.get(code), String(status), `CONTRACT.md lists "${code}" with status ${status}`);
    }
  });

  test('every literal code in src/ has a row', () => {
    assert.ok(literals.size > 0, 'the scan found the literal codes (e.g. the WebSocket frames)');
    for (const [code, files] of literals) {
      assert.ok(table.has(code), `CONTRACT.md lists "${code}" (written in ${files.join(', ')})`);
    }
  });

  test('every row is a code the server can send', () => {
    const sent = new Set([...declared.map((d) => d.code), ...literals.keys()]);
    for (const code of table.keys()) assert.ok(sent.has(code), `"${code}" in CONTRACT.md is sent by the server`);
  });
});
