import { useMemo, useState } from 'preact/hooks';
import { diffLines, diffStats, withContext } from '../../lib/diff';
import './diff.css';

interface Props {
  path?: string;
  oldText?: string | null;
  newText?: string;
}

const SIGN = { add: '+', del: '−', same: ' ' } as const;
const SPOKEN = { add: 'added', del: 'removed', same: 'unchanged' } as const;

/** Unified view of an edit: removed lines, added lines, 3 lines of context, the rest folded. */
export function DiffView({ path, oldText, newText }: Props) {
  const [full, setFull] = useState(false);
  const lines = useMemo(() => diffLines(oldText, newText), [oldText, newText]);
  const rows = useMemo(() => (full ? lines : withContext(lines, 3)), [lines, full]);
  const { added, removed } = diffStats(lines);
  const isNew = oldText === null || oldText === undefined || oldText === '';
  const file = path ?? 'file';
  return (
    <figure class="diff">
      <figcaption>
        <span class="diff-path">{file}</span>
        {isNew ? <span class="badge">new file</span> : null}
        <span class="diff-stat">
          <span class="add">+{added}</span> <span class="del">−{removed}</span>
          <span class="sr-only">
            {' '}
            ({added} lines added, {removed} removed)
          </span>
        </span>
      </figcaption>
      <div class="diff-body">
        <table class="diff-table">
          <caption class="sr-only">Changes to {file}</caption>
          <tbody>
            {rows.map((r, i) =>
              r.op === 'skip' ? (
                <tr key={`s${i}`}>
                  <td colSpan={4}>
                    <button type="button" class="diff-skip" onClick={() => setFull(true)}>
                      ⋯ {r.count} unchanged line{r.count === 1 ? '' : 's'} (show all)
                    </button>
                  </td>
                </tr>
              ) : (
                <tr class={`diff-line ${r.op}`} key={i}>
                  <td class="ln">{r.op === 'add' ? '' : r.oldNo}</td>
                  <td class="ln">{r.op === 'del' ? '' : r.newNo}</td>
                  <td class="sign">
                    <span aria-hidden="true">{SIGN[r.op]}</span>
                    <span class="sr-only">{SPOKEN[r.op]}</span>
                  </td>
                  <td class="code">{r.text}</td>
                </tr>
              ),
            )}
          </tbody>
        </table>
      </div>
    </figure>
  );
}
