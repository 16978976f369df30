// Draws the app's icons (the favicon's mark: three lines on an indigo square) as PNG files for the web
// manifest, iOS and notifications, with no image library: each pixel's coverage is computed from the
// shapes (4×4 samples for smooth edges) and the PNG is written with zlib. Run it after changing the
// mark; the PNGs are committed. Usage: node scripts/make-icons.mjs
import { mkdirSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { deflateSync } from 'node:zlib';

const out = join(dirname(fileURLToPath(import.meta.url)), '..', 'web', 'public', 'icons');

// The mark on a 32-unit grid, as in web/index.html's favicon.
const LINES = [
  [9, 11, 23, 11],
  [9, 16, 19, 16],
  [9, 21, 16, 21],
];
const STROKE = 2.5;
const INDIGO = [0x4f, 0x46, 0xe5];

const CRC_TABLE = Array.from({ length: 256 }, (_, n) => {
  let c = n;
  for (let k = 0; k < 8; k++) c = c & 1 ? 0xedb88320 ^ (c >>> 1) : c >>> 1;
  return c >>> 0;
});
function crc32(buf) {
  let c = 0xffffffff;
  for (const b of buf) c = CRC_TABLE[(c ^ b) & 0xff] ^ (c >>> 8);
  return (c ^ 0xffffffff) >>> 0;
}
function chunk(type, data) {
  const len = Buffer.alloc(4);
  len.writeUInt32BE(data.length);
  const body = Buffer.concat([Buffer.from(type, 'ascii'), data]);
  const crc = Buffer.alloc(4);
  crc.writeUInt32BE(crc32(body));
  return Buffer.concat([len, body, crc]);
}
function png(size, rgba) {
  const ihdr = Buffer.alloc(13);
  ihdr.writeUInt32BE(size, 0);
  ihdr.writeUInt32BE(size, 4);
  ihdr[8] = 8; // bit depth
  ihdr[9] = 6; // RGBA
  const raw = Buffer.alloc(size * (size * 4 + 1));
  for (let y = 0; y < size; y++) rgba.copy(raw, y * (size * 4 + 1) + 1, y * size * 4, (y + 1) * size * 4);
  return Buffer.concat([
    Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]),
    chunk('IHDR', ihdr),
    chunk('IDAT', deflateSync(raw, { level: 9 })),
    chunk('IEND', Buffer.alloc(0)),
  ]);
}

function inRoundedSquare(x, y, r) {
  const cx = Math.min(Math.max(x, r), 32 - r);
  const cy = Math.min(Math.max(y, r), 32 - r);
  return (x - cx) ** 2 + (y - cy) ** 2 <= r * r && x >= 0 && y >= 0 && x <= 32 && y <= 32;
}
function onLine(x, y) {
  return LINES.some(([x1, y1, x2, y2]) => {
    const t = Math.max(
      0,
      Math.min(1, ((x - x1) * (x2 - x1) + (y - y1) * (y2 - y1)) / ((x2 - x1) ** 2 + (y2 - y1) ** 2)),
    );
    return (x - x1 - t * (x2 - x1)) ** 2 + (y - y1 - t * (y2 - y1)) ** 2 <= (STROKE / 2) ** 2;
  });
}

/**
 * One icon. `radius`: the square's corner radius (0: full bleed, for masks the platform applies);
 * `scale`: the mark's size relative to the favicon (maskable icons keep it inside the safe circle);
 * `mono`: white mark on transparent (Android's notification badge).
 */
function draw(size, { radius = 7, scale = 1, mono = false } = {}) {
  const px = Buffer.alloc(size * size * 4);
  const S = 4;
  for (let py = 0; py < size; py++) {
    for (let pxi = 0; pxi < size; pxi++) {
      let bg = 0;
      let mark = 0;
      for (let sy = 0; sy < S; sy++) {
        for (let sx = 0; sx < S; sx++) {
          const x = ((pxi + (sx + 0.5) / S) / size) * 32;
          const y = ((py + (sy + 0.5) / S) / size) * 32;
          if (radius === 0 || inRoundedSquare(x, y, radius)) bg++;
          if (onLine(16 + (x - 16) / scale, 16 + (y - 16) / scale)) mark++;
        }
      }
      const a = bg / (S * S);
      const m = mark / (S * S);
      const i = (py * size + pxi) * 4;
      if (mono) {
        px.set([255, 255, 255, Math.round(m * 255)], i);
        continue;
      }
      // The mark is white over the indigo square.
      px.set([...INDIGO.map((c) => Math.round(c + (255 - c) * m)), Math.round(a * 255)], i);
    }
  }
  return png(size, px);
}

mkdirSync(out, { recursive: true });
const icons = {
  'icon-192.png': draw(192),
  'icon-512.png': draw(512),
  // Maskable: full bleed, the mark inside the central 80% circle every mask keeps.
  'maskable-512.png': draw(512, { radius: 0, scale: 0.8 }),
  // iOS rounds the corners itself and shows transparency as black.
  'apple-touch-icon.png': draw(180, { radius: 0, scale: 0.9 }),
  'badge-96.png': draw(96, { mono: true, scale: 1.25 }),
};
for (const [name, data] of Object.entries(icons)) writeFileSync(join(out, name), data);
console.log(`wrote ${Object.keys(icons).join(', ')} to ${out}`);
