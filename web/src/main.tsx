// The page's entry: the stylesheets every part shares (each component imports its own CSS next
// to it), the controller, and the app rendered into #app.
import './styles/theme.css';
import './styles/base.css';
import './styles/controls.css';
import { render } from 'preact';
import { Client } from './client/client';
import { applyTheme, loadTheme } from './lib/theme';
import { ClientContext } from './lib/use-app';
import { startPush } from './push/bridge';
import { App } from './ui/app/App';

applyTheme(loadTheme());
const client = new Client();
const root = document.getElementById('app');
if (root) {
  render(
    <ClientContext.Provider value={client}>
      <App />
    </ClientContext.Provider>,
    root,
  );
}
void client.start();
// The service worker (after load), worker messages, the waiting-count badge: web/src/push/bridge.ts.
startPush(client);
// A handle for debugging in the console and for the browser tests.
(window as unknown as { gmgui: Client }).gmgui = client;
