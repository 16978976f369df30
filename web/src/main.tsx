import { render } from 'preact';
import { Client } from './client';
import { applyTheme, loadTheme } from './lib/theme';
import './styles.css';
import { App } from './ui/App';
import { ClientContext } from './ui/context';

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
// A handle for debugging in the console and for the browser tests.
(window as unknown as { gmgui: Client }).gmgui = client;
