import { useEffect, useLayoutEffect, useMemo, useRef, useState } from 'preact/hooks';
import { buildRows, type Row } from '../../state/timeline';
import { useApp, useClient } from '../../lib/use-app';
import { AssistantMessage, OutboxMessage, UserMessage } from './Rows';
import { Turn } from '../turn/Turn';
import './timeline.css';

/**
 * Rows rendered at first, and added per step when the reader nears the top: a 5,000-message
 * history opens with 40 rows in the DOM and grows only as far as the reader scrolls.
 */
const PAGE = 40;

function RowView({ row }: { row: Row }) {
  switch (row.kind) {
    case 'user':
      return <UserMessage message={row.message} />;
    case 'turn':
      return (
        <Turn session={row.session} answer={row.answer} attempt={row.attempt} superseded={row.superseded} />
      );
    case 'assistant':
      return <AssistantMessage message={row.message} />;
    case 'outbox':
      return <OutboxMessage item={row.item} />;
  }
}

export function Timeline() {
  const client = useClient();
  const view = useApp((s) => s.view);
  const outbox = useApp((s) => s.outbox);
  const older = useApp((s) => s.older);
  const rows = useMemo(() => (view ? buildRows(view, outbox) : []), [view, outbox]);
  const convId = view?.id ?? null;
  const hasMore = view?.hasMore ?? false;
  const [count, setCount] = useState(PAGE);
  const scroller = useRef<HTMLElement>(null);
  const rowsEl = useRef<HTMLDivElement>(null);
  const atBottom = useRef(true);
  /**
   * The topmost visible rows and where they were: the first of them still in the document is kept in
   * place when anything is added above it. Several, because a row can be replaced (an answer shown
   * alone becomes part of its turn once the older page with its question arrives).
   */
  const anchor = useRef<Anchor[]>([]);
  const sentinel = useRef<HTMLDivElement>(null);
  const [showJump, setShowJump] = useState(false);

  // Where the reader is, read just before this render's changes reach the DOM. Read here and not only
  // in onScroll: a scroll's event comes a frame later, and a render in between (a page arriving, a
  // turn updating) must not take the reader back to where they were before they scrolled.
  const shownConv = useRef(convId);
  if (shownConv.current !== convId) {
    shownConv.current = convId;
    atBottom.current = true;
    anchor.current = [];
  } else {
    readPosition();
  }

  useEffect(() => {
    setCount(PAGE);
    setShowJump(false);
  }, [convId]);

  const start = Math.max(0, rows.length - count);
  const visible = start ? rows.slice(start) : rows;

  // Older rows: first those already loaded (render more), then the server's older pages.
  const loadEarlier = () => {
    if (start > 0) setCount((c) => c + PAGE);
    else if (hasMore) void client.loader.loadOlder();
  };
  const canAutoLoad = start > 0 || (hasMore && older === 'idle');

  // More history when the top comes near (before the reader reaches it). Re-observed after every
  // render, so a page that arrived while the top was in sight is followed by the next step.
  useEffect(() => {
    const el = sentinel.current;
    if (!el || !canAutoLoad) return;
    const io = new IntersectionObserver((entries) => entries.some((e) => e.isIntersecting) && loadEarlier(), {
      root: scroller.current,
      rootMargin: '600px 0px 0px 0px',
    });
    io.observe(el);
    return () => io.disconnect();
  });

  function captureAnchor() {
    const el = scroller.current;
    const list = rowsEl.current;
    anchor.current = el && list ? topVisibleRows(list, el.getBoundingClientRect().top) : [];
  }

  function readPosition() {
    const el = scroller.current;
    if (!el) return;
    atBottom.current = el.scrollHeight - el.scrollTop - el.clientHeight < 80;
    captureAnchor();
  }

  /**
   * Keeps the view pinned to the newest content while the reader is at the bottom; otherwise keeps
   * the row they are reading where it was, whatever was added above it or grew there. Done by hand
   * rather than trusting the browser's scroll anchoring, which does not act at scrollTop 0 (exactly
   * where older rows arrive) and which Safari lacks.
   */
  function holdPosition(): boolean {
    const el = scroller.current;
    if (!el) return false;
    if (atBottom.current) {
      el.scrollTop = el.scrollHeight;
    } else {
      const a = anchor.current.find((r) => r.el.isConnected);
      if (a) {
        const delta = a.el.getBoundingClientRect().top - el.getBoundingClientRect().top - a.top;
        if (delta) el.scrollTop += delta;
      }
    }
    captureAnchor();
    return !atBottom.current;
  }

  // After every render of the list…
  useLayoutEffect(() => {
    if (holdPosition()) setShowJump(true);
  });

  // …and whenever the rows change height without one: a row that renders its own updates (a turn's
  // details, highlighted code, an image that loaded). Resize observations come after the frame's
  // scroll events, so the anchor they correct against is the reader's latest position.
  useEffect(() => {
    const list = rowsEl.current;
    if (!list) return;
    const ro = new ResizeObserver(() => holdPosition());
    ro.observe(list);
    return () => ro.disconnect();
  }, []);

  const onScroll = () => {
    readPosition();
    if (atBottom.current && showJump) setShowJump(false);
  };

  const jump = () => {
    const el = scroller.current;
    if (!el) return;
    atBottom.current = true;
    el.scrollTop = el.scrollHeight;
    setShowJump(false);
  };

  return (
    <div class="timeline-wrap">
      {/* A scrollable region: browsers make it keyboard-focusable by themselves. */}
      <section class="timeline" ref={scroller} onScroll={onScroll} aria-label="Messages">
        <div ref={sentinel} aria-hidden="true" />
        {start > 0 || hasMore ? (
          <button
            type="button"
            class="link-btn load-earlier"
            onClick={older === 'error' && !start ? () => void client.loader.loadOlder() : loadEarlier}
            disabled={!start && older === 'loading'}
          >
            {start > 0
              ? `Show earlier messages (${start}${hasMore ? '+' : ''} more)`
              : older === 'loading'
                ? 'Loading earlier messages…'
                : older === 'error'
                  ? 'Could not load earlier messages. Try again'
                  : 'Load earlier messages'}
          </button>
        ) : null}
        <div class="rows" ref={rowsEl} role="log" aria-live="off" data-row-count={rows.length}>
          {visible.map((r) => (
            <div class="row" key={r.key} data-kind={r.kind}>
              <RowView row={r} />
            </div>
          ))}
        </div>
      </section>
      {showJump ? (
        <button type="button" class="jump btn" onClick={jump} aria-label="Jump to the newest message">
          ↓ Newest
        </button>
      ) : null}
    </div>
  );
}

interface Anchor {
  el: Element;
  /** From the top of the scrolling area, so that a banner appearing above it is not "corrected". */
  top: number;
}

/** How many rows from the top of the screen down are remembered as anchors. */
const ANCHORS = 4;

/** The first rows whose bottom is below `top` (binary search: rows are in document order). */
function topVisibleRows(list: HTMLElement, top: number): Anchor[] {
  const rows = list.children;
  let lo = 0;
  let hi = rows.length - 1;
  if (hi < 0) return [];
  while (lo < hi) {
    const mid = (lo + hi) >>> 1;
    if ((rows[mid] as Element).getBoundingClientRect().bottom <= top) lo = mid + 1;
    else hi = mid;
  }
  const found: Anchor[] = [];
  for (let i = lo; i < Math.min(rows.length, lo + ANCHORS); i++) {
    const el = rows[i] as Element;
    found.push({ el, top: el.getBoundingClientRect().top - top });
  }
  return found;
}
