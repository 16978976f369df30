// Inline SVG icons: emoji are missing from many server/desktop font setups (they render as boxes).

import './icon.css';

const PATHS: Record<string, string> = {
  trash: 'M4 7h16M10 11v6M14 11v6M6 7l1 13h10l1-13M9 7V4h6v3',
  pencil: 'M4 20h4L19 9l-4-4L4 16v4zM13 7l4 4',
  file: 'M6 3h8l4 4v14H6zM14 3v4h4',
  search: 'M11 18a7 7 0 1 0 0-14 7 7 0 0 0 0 14zM21 21l-5-5',
  terminal: 'M4 5h16v14H4zM7 9l3 3-3 3M12 15h5',
  globe: 'M12 21a9 9 0 1 0 0-18 9 9 0 0 0 0 18zM3 12h18M12 3c3 3 3 15 0 18M12 3c-3 3-3 15 0 18',
  think: 'M5 5h14v10H9l-4 4z',
  move: 'M4 12h16M16 8l4 4-4 4M8 8l-4 4 4 4',
  tool: 'M14 6a4 4 0 0 0 5 5L11 19a2 2 0 0 1-3-3l8-8z',
  lock: 'M6 11h12v9H6zM8 11V8a4 4 0 0 1 8 0v3',
  folder: 'M3 6h6l2 2h10v11H3z',
  up: 'M12 19V5M6 11l6-6 6 6',
  sun: 'M12 16a4 4 0 1 0 0-8 4 4 0 0 0 0 8zM12 2v2M12 20v2M2 12h2M20 12h2M5 5l1.5 1.5M17.5 17.5L19 19M5 19l1.5-1.5M17.5 6.5L19 5',
  moon: 'M20 14A8 8 0 1 1 10 4a6 6 0 0 0 10 10z',
  auto: 'M12 21a9 9 0 1 0 0-18v18z',
  menu: 'M4 7h16M4 12h16M4 17h16',
  stop: 'M7 7h10v10H7z',
  link: 'M10 14a4 4 0 0 0 6 0l3-3a4 4 0 0 0-6-6l-1 1M14 10a4 4 0 0 0-6 0l-3 3a4 4 0 0 0 6 6l1-1',
  clip: 'M20 11l-8.5 8.5a5 5 0 0 1-7-7L13 4a3.5 3.5 0 0 1 5 5l-8.5 8.5a2 2 0 0 1-3-3L14 7',
};

export type IconName = keyof typeof PATHS;

export function Icon({ name, size = 16 }: { name: IconName; size?: number }) {
  return (
    <svg
      class="icon"
      width={size}
      height={size}
      viewBox="0 0 24 24"
      fill="none"
      stroke="currentColor"
      stroke-width="2"
      stroke-linecap="round"
      stroke-linejoin="round"
      aria-hidden="true"
      focusable="false"
    >
      <path d={PATHS[name] ?? PATHS.tool} />
    </svg>
  );
}
