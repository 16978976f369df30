import { useRef, useState } from 'preact/hooks';
import { errText } from '../../lib/errors';
import { useClient } from '../../lib/use-app';
import { importFile } from './actions';
import './fork.css';

// "Import conversation" in the sidebar: a JSONL file exported from a gmgui (CONTRACT "Export and
// import"), posted as it is; the server verifies it and says in words what is wrong.

export function ImportButton({ onDone }: { onDone?: () => void }) {
  const client = useClient();
  const input = useRef<HTMLInputElement>(null);
  const [busy, setBusy] = useState(false);
  const pick = (e: Event) => {
    const el = e.currentTarget as HTMLInputElement;
    const file = el.files?.[0];
    el.value = '';
    if (!file) return;
    setBusy(true);
    importFile(client, file)
      .then(() => {
        client.notices.notify(`Imported “${file.name}”.`);
        onDone?.();
      })
      .catch((err: unknown) =>
        client.notices.notify(`Could not import “${file.name}”: ${errText(err)}`, 'error'),
      )
      .finally(() => setBusy(false));
  };
  return (
    <>
      <button
        type="button"
        class="link-btn import-btn"
        disabled={busy}
        title="Import a conversation exported as JSONL"
        onClick={() => input.current?.click()}
      >
        {busy ? 'Importing…' : 'Import conversation'}
      </button>
      <input
        ref={input}
        type="file"
        accept=".jsonl,.ndjson,application/x-ndjson,text/plain"
        class="sr-only"
        tabIndex={-1}
        aria-label="Conversation file to import (JSONL)"
        data-import-input
        onChange={pick}
      />
    </>
  );
}
