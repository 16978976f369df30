import { useState } from 'preact/hooks';
import { useApp } from '../../lib/use-app';
import { forgetFresh, freshNoticeOf } from './actions';
import './fork.css';

/** In a fork whose agent does not remember the copied history, says so until dismissed. */
export function ForkNotice() {
  const id = useApp((s) => s.selectedId);
  const [, setDismissed] = useState(0);
  const text = id ? freshNoticeOf(id) : null;
  if (!id || !text) return null;
  return (
    <div class="fork-notice" role="status" data-fork-notice>
      <span>{text}</span>
      <button
        type="button"
        class="icon-btn small"
        aria-label="Dismiss"
        onClick={() => {
          forgetFresh(id);
          setDismissed((n) => n + 1);
        }}
      >
        ×
      </button>
    </div>
  );
}
