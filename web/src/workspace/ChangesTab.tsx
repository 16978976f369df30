import { useState } from 'preact/hooks';
import { errText } from '../lib/errors';
import { ConfirmDialog } from '../ui/dialogs/ConfirmDialog';
import { DiffView } from '../ui/turn/DiffView';
import type { CheckpointSummary, StatusEntry, WorkspaceApi } from './api';
import { HunkView } from './HunkView';
import { openFile } from './state';
import { useLoad } from './use-load';

// What changed (docs/CONTRACT.md section 9): each turn's checkpoint with its diff and "revert this
// turn", and the folder's git working tree against HEAD.

interface Props {
  ws: WorkspaceApi;
  /** Changes when the conversation's turns do: the lists load again. */
  turnsKey: string;
  onReverted: () => void;
}

function when(ms: number): string {
  return new Date(ms).toLocaleString(undefined, { dateStyle: 'short', timeStyle: 'short' });
}

function TurnDiff({ ws, sessionId }: { ws: WorkspaceApi; sessionId: string }) {
  const { data, error } = useLoad(() => ws.changes(sessionId), [ws, sessionId]);
  if (error) return <p class="ws-error" role="alert">{error}</p>;
  if (!data) return <p class="muted">Loading…</p>;
  return (
    <div class="ws-turn-diff">
      {data.files.map((f) => (
        <div key={f.path} class="ws-turn-file">
          {f.changedSince ? <p class="ws-note warn">{f.path} has changed since this turn.</p> : null}
          {f.binary || f.unsaved ? (
            <p class="ws-note muted">
              {f.path}: {f.unsaved ? 'its content before the turn was not saved.' : 'binary, not shown.'}
            </p>
          ) : (
            <DiffView path={f.path} oldText={f.beforeText ?? null} newText={f.afterText ?? ''} />
          )}
        </div>
      ))}
    </div>
  );
}

function Checkpoint({ ws, cp, onReverted }: { ws: WorkspaceApi; cp: CheckpointSummary; onReverted: () => void }) {
  const [shown, setShown] = useState(false);
  const [asking, setAsking] = useState(false);
  const [busy, setBusy] = useState(false);
  const [message, setMessage] = useState<{ ok: boolean; text: string } | null>(null);
  const revert = async () => {
    setAsking(false);
    setBusy(true);
    try {
      const r = await ws.revert(cp.sessionId);
      setMessage({ ok: true, text: `Reverted: ${r.files.map((f) => `${f.path} ${f.action}`).join(', ')}.` });
      onReverted();
    } catch (e) {
      setMessage({ ok: false, text: errText(e) });
    } finally {
      setBusy(false);
    }
  };
  const n = cp.files.length;
  return (
    <li class="ws-checkpoint" data-session-id={cp.sessionId}>
      <div class="ws-checkpoint-row">
        <span class="ws-checkpoint-title">
          Turn of {when(cp.created_at)} · {n} file{n === 1 ? '' : 's'}
          {cp.reverted ? <span class="badge">reverted</span> : null}
        </span>
        <button type="button" class="btn small" aria-expanded={shown} onClick={() => setShown(!shown)}>
          {shown ? 'Hide diff' : 'Show diff'}
        </button>
        <button type="button" class="btn small danger" disabled={busy || !!cp.reverted} onClick={() => setAsking(true)}>
          Revert this turn
        </button>
      </div>
      <ul class="ws-checkpoint-files">
        {cp.files.map((f) => (
          <li key={f.path}>
            <button type="button" class="link-btn" onClick={() => openFile(f.path)}>
              {f.path}
            </button>{' '}
            <span class="muted">{f.before === null ? 'created' : f.after === null ? 'deleted' : 'modified'}</span>
          </li>
        ))}
      </ul>
      {message ? (
        <p class={message.ok ? 'ws-note ok' : 'ws-error'} role={message.ok ? 'status' : 'alert'}>
          {message.text}
        </p>
      ) : null}
      {shown ? <TurnDiff ws={ws} sessionId={cp.sessionId} /> : null}
      {asking ? (
        <ConfirmDialog title="Revert this turn?" confirmLabel="Revert" danger onConfirm={revert} onCancel={() => setAsking(false)}>
          <p>
            Every file this turn changed goes back to how it was before it; files it created are removed. This is
            refused if one of them changed since.
          </p>
        </ConfirmDialog>
      ) : null}
    </li>
  );
}

function GitFileRow({ ws, f }: { ws: WorkspaceApi; f: StatusEntry }) {
  const [open, setOpen] = useState(false);
  const diff = useLoad(() => (open && f.status !== 'untracked' ? ws.gitDiff(f.path) : Promise.resolve(null)), [ws, f.path, open]);
  return (
    <li class="ws-git-file">
      <div class="ws-checkpoint-row">
        <span class={`ws-git-status st-${f.status}`}>{f.status}</span>
        <button type="button" class="link-btn" onClick={() => (f.status === 'untracked' ? openFile(f.path) : setOpen(!open))}>
          {f.oldPath ? `${f.oldPath} → ${f.path}` : f.path}
        </button>
      </div>
      {open && diff.error ? <p class="ws-error" role="alert">{diff.error}</p> : null}
      {open && diff.data?.repository ? diff.data.files.map((d) => <HunkView key={d.path} file={d} />) : null}
    </li>
  );
}

function GitChanges({ ws, turnsKey }: { ws: WorkspaceApi; turnsKey: string }) {
  const { data, error, reload } = useLoad(() => ws.gitStatus(), [ws, turnsKey]);
  return (
    <section class="ws-section" aria-labelledby="ws-git-title">
      <h3 id="ws-git-title">
        Working tree{' '}
        <button type="button" class="btn small" onClick={reload}>
          Refresh
        </button>
      </h3>
      {error ? <p class="ws-error" role="alert">{error}</p> : null}
      {data && !data.repository ? <p class="muted">This folder is not in a git repository.</p> : null}
      {data?.repository ? (
        <>
          <p class="muted">
            {data.branch ? `On ${data.branch}` : 'Detached HEAD'}
            {data.head ? ` · ${data.head.slice(0, 8)}` : ' · no commit yet'} · {data.files.length} changed
          </p>
          <ul class="ws-list">
            {data.files.map((f) => (
              <GitFileRow key={f.path} ws={ws} f={f} />
            ))}
          </ul>
        </>
      ) : null}
    </section>
  );
}

export function ChangesTab({ ws, turnsKey, onReverted }: Props) {
  const { data, error, reload } = useLoad(() => ws.checkpoints(), [ws, turnsKey]);
  const reverted = () => {
    reload();
    onReverted();
  };
  return (
    <div class="ws-changes">
      <section class="ws-section" aria-labelledby="ws-turns-title">
        <h3 id="ws-turns-title">Changes by turn</h3>
        {error ? <p class="ws-error" role="alert">{error}</p> : null}
        {data && data.checkpoints.length === 0 ? <p class="muted">No turn of this conversation has changed a file yet.</p> : null}
        <ul class="ws-list">
          {data?.checkpoints.map((cp) => (
            <Checkpoint key={cp.sessionId} ws={ws} cp={cp} onReverted={reverted} />
          ))}
        </ul>
      </section>
      <GitChanges ws={ws} turnsKey={turnsKey} />
    </div>
  );
}
