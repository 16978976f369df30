// Which requests the service worker answers, and how (docs/CONTRACT.md "Push and the installable app").
// Paths are relative to the app's base (its scope), so any BASE_URL works. Pure, no worker globals.

export type Strategy =
  /** The page itself: the network, else the cached shell (a reload offline shows the app). */
  | 'page'
  /** Built files: from the cache this version filled at install, else the network. */
  | 'shell'
  /** Reads of the last-seen conversations: the network, else the last answer kept. */
  | 'api'
  /** Everything else goes to the network untouched (writes, searches, WebSockets, other origins). */
  | null;

/** The API reads a reload needs to show the list and the open conversation. */
const API_READS: RegExp[] = [
  /^api\/conversations$/,
  /^api\/conversations\/[^/]+$/,
  /^api\/conversations\/[^/]+\/messages$/,
  /^api\/conversations\/[^/]+\/sessions$/,
  /^api\/conversations\/[^/]+\/sessions\/latest$/,
  /^api\/sessions\/[^/]+$/,
  /^api\/agents$/,
];

export function strategyFor(
  req: { method: string; mode: string; url: string },
  scope: URL,
  shell: ReadonlySet<string>,
): Strategy {
  if (req.method !== 'GET') return null;
  const url = new URL(req.url);
  if (url.origin !== scope.origin || !url.pathname.startsWith(scope.pathname)) return null;
  const rel = url.pathname.slice(scope.pathname.length);
  if (req.mode === 'navigate') return rel === '' || rel === 'index.html' ? 'page' : null;
  if (rel.startsWith('api/')) {
    // A search is not a thread; the lastSeq probe (`events?after=0&limit=1`) is what opening one reads first.
    if (/^api\/conversations\/[^/]+\/events$/.test(rel))
      return url.searchParams.get('after') === '0' ? 'api' : null;
    if (rel === 'api/conversations' && url.search) return null;
    return API_READS.some((re) => re.test(rel)) ? 'api' : null;
  }
  return shell.has(rel) || rel.startsWith('assets/') ? 'shell' : null;
}
