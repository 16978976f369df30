// The screens shown instead of the app: this browser has no session, or the server is down.

import { useApp } from '../../lib/use-app';
import './sign-in.css';

/** Not signed in: how to get the link that signs this browser in. */
export function AuthScreen() {
  const origin = `${location.origin}${location.pathname}`;
  const rejected = useApp((s) => s.tokenRejected);
  return (
    <main class="auth" aria-labelledby="auth-title">
      <h1 id="auth-title">gmgui</h1>
      {rejected ? (
        <p role="alert" class="auth-rejected">
          The server rejected the token in that link: it may be mistyped, cut short, or meant for
          another gmgui server.
        </p>
      ) : null}
      <p>This browser is not signed in to the gmgui server.</p>
      <p>
        Open the URL printed by the server when it started — it looks like <code>{origin}?token=…</code>. No
        server running? Run <code>npm start</code> in the gmgui folder and copy the link it prints.
      </p>
      <button type="button" class="btn primary" onClick={() => location.reload()}>
        I opened the link, try again
      </button>
    </main>
  );
}

/** The server does not answer; the client keeps retrying (client/client.ts). */
export function Unreachable() {
  return (
    <main class="auth" aria-labelledby="auth-title" aria-busy="true">
      <h1 id="auth-title">gmgui</h1>
      <p role="status">
        <span class="spinner" aria-hidden="true" /> The gmgui server cannot be reached. Retrying…
      </p>
      <p class="muted">
        If it is not running, start it with <code>npm start</code>.
      </p>
    </main>
  );
}
