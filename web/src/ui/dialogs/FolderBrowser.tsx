import { useEffect, useState } from 'preact/hooks';
import { errText, statusOf } from '../../lib/errors';
import { useClient } from '../../lib/use-app';
import { Icon } from '../Icon';
import './folder-browser.css';
import { ErrorLine } from '../ErrorLine';

function sepOf(path: string): string {
  return path.includes('\\') && !path.includes('/') ? '\\' : '/';
}

export function joinPath(dir: string, name: string): string {
  const sep = sepOf(dir);
  return dir.endsWith(sep) ? dir + name : dir + sep + name;
}

export function parentPath(path: string): string | null {
  const sep = sepOf(path);
  const trimmed = path.length > 1 && path.endsWith(sep) ? path.slice(0, -1) : path;
  const i = trimmed.lastIndexOf(sep);
  if (i < 0) return null;
  if (i === 0) return trimmed === sep ? null : sep;
  return trimmed.slice(0, i);
}

interface Props {
  value: string;
  onChange: (path: string) => void;
  /** The allowed roots (GMGUI_ROOTS): no ".." above them. */
  roots?: string[];
}

/** Browses folders inside GMGUI_ROOTS (POST /api/folders); the shown folder is the chosen one. */
export function FolderBrowser({ value, onChange, roots = [] }: Props) {
  const client = useClient();
  const [folders, setFolders] = useState<string[] | null>(null);
  const [error, setError] = useState('');
  const [typed, setTyped] = useState(value);

  useEffect(() => {
    setTyped(value);
    if (!value) return;
    let stale = false;
    setFolders(null);
    setError('');
    client.api
      .folders(value)
      .then((r) => {
        if (!stale) setFolders(r.folders.map((f) => f.name).sort((a, b) => a.localeCompare(b)));
      })
      .catch((e: unknown) => {
        if (stale) return;
        setFolders([]);
        setError(
          statusOf(e) === 403
            ? 'This folder is outside the folders gmgui may use (GMGUI_ROOTS).'
            : errText(e),
        );
      });
    return () => {
      stale = true;
    };
  }, [value, client]);

  const parent = value && !roots.includes(value) ? parentPath(value) : null;
  return (
    <div class="folders">
      <div class="folder-path">
        <input
          type="text"
          value={typed}
          aria-label="Working folder"
          spellcheck={false}
          onInput={(e) => setTyped((e.target as HTMLInputElement).value)}
          onKeyDown={(e) => {
            if (e.key === 'Enter') {
              e.preventDefault();
              onChange(typed.trim());
            }
          }}
        />
        <button type="button" class="btn small" onClick={() => onChange(typed.trim())}>
          Go
        </button>
      </div>
      <ErrorLine error={error} />
      <ul class="folder-list" aria-label="Sub-folders" aria-busy={folders === null}>
        {parent ? (
          <li>
            <button type="button" class="folder" onClick={() => onChange(parent)}>
              <Icon name="up" /> ..
            </button>
          </li>
        ) : null}
        {folders === null ? <li class="muted">Loading…</li> : null}
        {folders?.map((name) => (
          <li key={name}>
            <button type="button" class="folder" onClick={() => onChange(joinPath(value, name))}>
              <Icon name="folder" /> {name}
            </button>
          </li>
        ))}
        {folders && folders.length === 0 && !error ? <li class="muted">No sub-folders</li> : null}
      </ul>
    </div>
  );
}
