// Line diff for the edit view of tool calls (`{type:'diff', path, oldText, newText}`).
// Common prefix and suffix are trimmed first (edits are usually small and local), then the
// middle is diffed with a longest-common-subsequence table. A middle too large for the table is
// shown as "all removed, all added": still correct, just less precise.

export type DiffLine =
  | { op: 'same'; text: string; oldNo: number; newNo: number }
  | { op: 'del'; text: string; oldNo: number }
  | { op: 'add'; text: string; newNo: number };

export type DiffRow = DiffLine | { op: 'skip'; count: number };

const MAX_CELLS = 4_000_000;

function splitLines(s: string): string[] {
  if (s === '') return [];
  const lines = s.split('\n');
  // A trailing newline ends the last line; it does not start an empty one.
  if (lines[lines.length - 1] === '') lines.pop();
  return lines;
}

export function diffLines(
  oldText: string | null | undefined,
  newText: string | null | undefined,
): DiffLine[] {
  const a = splitLines(oldText ?? '');
  const b = splitLines(newText ?? '');
  let pre = 0;
  while (pre < a.length && pre < b.length && a[pre] === b[pre]) pre++;
  let suf = 0;
  while (suf < a.length - pre && suf < b.length - pre && a[a.length - 1 - suf] === b[b.length - 1 - suf])
    suf++;

  const out: DiffLine[] = [];
  for (let i = 0; i < pre; i++) out.push({ op: 'same', text: a[i] as string, oldNo: i + 1, newNo: i + 1 });

  const am = a.slice(pre, a.length - suf);
  const bm = b.slice(pre, b.length - suf);
  const n = am.length;
  const m = bm.length;
  if (n * m > MAX_CELLS) {
    for (let i = 0; i < n; i++) out.push({ op: 'del', text: am[i] as string, oldNo: pre + i + 1 });
    for (let j = 0; j < m; j++) out.push({ op: 'add', text: bm[j] as string, newNo: pre + j + 1 });
  } else {
    // lcs[i][j] = LCS length of am[i..] and bm[j..], flattened.
    const w = m + 1;
    const lcs = new Uint32Array((n + 1) * w);
    for (let i = n - 1; i >= 0; i--) {
      for (let j = m - 1; j >= 0; j--) {
        lcs[i * w + j] =
          am[i] === bm[j]
            ? (lcs[(i + 1) * w + j + 1] as number) + 1
            : Math.max(lcs[(i + 1) * w + j] as number, lcs[i * w + j + 1] as number);
      }
    }
    let i = 0;
    let j = 0;
    while (i < n || j < m) {
      if (i < n && j < m && am[i] === bm[j]) {
        out.push({ op: 'same', text: am[i] as string, oldNo: pre + i + 1, newNo: pre + j + 1 });
        i++;
        j++;
      } else if (i < n && (j >= m || (lcs[(i + 1) * w + j] as number) >= (lcs[i * w + j + 1] as number))) {
        // Deletions first, the way unified diffs read.
        out.push({ op: 'del', text: am[i] as string, oldNo: pre + i + 1 });
        i++;
      } else {
        out.push({ op: 'add', text: bm[j] as string, newNo: pre + j + 1 });
        j++;
      }
    }
  }
  const offA = a.length - suf;
  const offB = b.length - suf;
  for (let k = 0; k < suf; k++)
    out.push({ op: 'same', text: a[offA + k] as string, oldNo: offA + k + 1, newNo: offB + k + 1 });
  return out;
}

/** Keeps `context` unchanged lines around each change and folds the rest into "skip" rows. */
export function withContext(lines: readonly DiffLine[], context = 3): DiffRow[] {
  const keep = new Uint8Array(lines.length);
  for (let i = 0; i < lines.length; i++) {
    if ((lines[i] as DiffLine).op === 'same') continue;
    for (let k = Math.max(0, i - context); k <= Math.min(lines.length - 1, i + context); k++) keep[k] = 1;
  }
  const out: DiffRow[] = [];
  let skipped = 0;
  for (let i = 0; i < lines.length; i++) {
    if (keep[i]) {
      if (skipped) out.push({ op: 'skip', count: skipped });
      skipped = 0;
      out.push(lines[i] as DiffLine);
    } else skipped++;
  }
  if (skipped) out.push({ op: 'skip', count: skipped });
  return out;
}

export function diffStats(lines: readonly DiffLine[]): { added: number; removed: number } {
  let added = 0;
  let removed = 0;
  for (const l of lines) {
    if (l.op === 'add') added++;
    else if (l.op === 'del') removed++;
  }
  return { added, removed };
}
