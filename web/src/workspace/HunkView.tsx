import '../ui/turn/diff.css';
import type { FileDiff } from './api';

// One file of `git diff` as git cut it into hunks, drawn like the tool cards' DiffView (same styles).

const SIGN = { add: '+', del: '−', same: ' ' } as const;

export function HunkView({ file }: { file: FileDiff }) {
  const added = file.hunks.reduce((n, h) => n + h.lines.filter((l) => l.op === 'add').length, 0);
  const removed = file.hunks.reduce((n, h) => n + h.lines.filter((l) => l.op === 'del').length, 0);
  return (
    <figure class="diff">
      <figcaption>
        <span class="diff-path">{file.oldPath ? `${file.oldPath} → ${file.path}` : file.path}</span>
        <span class="badge">{file.status}</span>
        <span class="diff-stat">
          <span class="add">+{added}</span> <span class="del">−{removed}</span>
        </span>
      </figcaption>
      {file.binary ? <p class="ws-note muted">Binary file: not shown.</p> : null}
      <div class="diff-body">
        <table class="diff-table">
          <caption class="sr-only">Changes to {file.path}</caption>
          <tbody>
            {file.hunks.map((h, i) => [
              <tr key={`h${i}`}>
                <td colSpan={4} class="ws-hunk-head">
                  {h.header}
                </td>
              </tr>,
              ...h.lines.map((l, j) => (
                <tr class={`diff-line ${l.op}`} key={`${i}-${j}`}>
                  <td class="ln">{l.oldNo ?? ''}</td>
                  <td class="ln">{l.newNo ?? ''}</td>
                  <td class="sign">{SIGN[l.op]}</td>
                  <td class="code">{l.text}</td>
                </tr>
              )),
            ])}
          </tbody>
        </table>
      </div>
    </figure>
  );
}
