// Where the server is. The app is served at `<BASE_URL>/` (BASE_URL may be empty or e.g. `/gm`)
// and uses hash routes only, so the directory of the page URL is the base of every API call.

/** `https://h/gm/` for `https://h/gm/`, `https://h/gm/index.html` or `https://h/gm` (no slash). */
export function appBase(href: string): URL {
  const u = new URL(href);
  u.search = '';
  u.hash = '';
  const path = u.pathname;
  const lastSeg = path.slice(path.lastIndexOf('/') + 1);
  if (lastSeg.includes('.')) u.pathname = path.slice(0, path.lastIndexOf('/') + 1);
  else if (!path.endsWith('/')) u.pathname = `${path}/`;
  return u;
}

export function apiUrl(base: URL, path: string): string {
  return new URL(path.replace(/^\/+/, ''), base).toString();
}

/** ws(s):// URL of a WebSocket endpoint relative to the app base. */
export function wsUrl(base: URL, path: string): string {
  const u = new URL(path.replace(/^\/+/, ''), base);
  u.protocol = u.protocol === 'https:' ? 'wss:' : 'ws:';
  return u.toString();
}
