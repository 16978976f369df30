// Command output as plain text for a turn card: colour and cursor escapes removed, carriage-return
// progress lines collapsed to what a terminal would end up showing. The workspace terminal (xterm)
// shows the real thing; a card only needs to be readable.

// CSI (ESC [ … final), OSC (ESC ] … BEL or ESC \), and two-character escapes.
// biome-ignore lint/suspicious/noControlCharactersInRegex: matching terminal control sequences is the point.
const ESCAPES = /\u001b\[[0-?]*[ -/]*[@-~]|\u001b\][^\u0007\u001b]*(?:\u0007|\u001b\\)|\u001b[@-Z\\-_]/g;

export function plainOutput(raw: string): string {
  const text = raw.replace(ESCAPES, '');
  // "50%\r100%\n" shows as "100%": keep what follows the last carriage return of each line.
  return text
    .split('\n')
    .map((line) => {
      const trimmed = line.endsWith('\r') ? line.slice(0, -1) : line;
      const cr = trimmed.lastIndexOf('\r');
      return cr === -1 ? trimmed : trimmed.slice(cr + 1);
    })
    .join('\n');
}
