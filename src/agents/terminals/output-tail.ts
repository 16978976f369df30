// Keeping the end of a command's output within a byte limit (ACP terminal/create `outputByteLimit`):
// the beginning is dropped, cut at a character boundary so the text stays valid UTF-8.

export function keepTail(text: string, limit: number): { text: string; cut: boolean } {
  // A UTF-16 unit is at most 3 UTF-8 bytes: short text needs no measuring.
  if (text.length * 3 <= limit) return { text, cut: false };
  const bytes = Buffer.from(text, 'utf8');
  if (bytes.length <= limit) return { text, cut: false };
  let start = bytes.length - limit;
  // Skip continuation bytes (10xxxxxx): start on the first byte of a character.
  while (start < bytes.length && (bytes[start] & 0xc0) === 0x80) start++;
  return { text: bytes.subarray(start).toString('utf8'), cut: true };
}
