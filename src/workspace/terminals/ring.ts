// A terminal's scrollback: the newest output up to a byte budget, oldest chunks dropped first, so a
// reattaching client (a reload) sees the screen it left without the server keeping a shell's whole life.

export class ByteRing {
  private chunks: Buffer[] = [];
  private bytes = 0;

  constructor(readonly capacity: number) {}

  push(chunk: Buffer): void {
    const c = chunk.length > this.capacity ? chunk.subarray(chunk.length - this.capacity) : chunk;
    this.chunks.push(c);
    this.bytes += c.length;
    while (this.bytes > this.capacity) {
      const first = this.chunks[0];
      const over = this.bytes - this.capacity;
      if (first.length <= over) {
        this.chunks.shift();
        this.bytes -= first.length;
      } else {
        this.chunks[0] = first.subarray(over);
        this.bytes -= over;
      }
    }
  }

  /** Everything kept, oldest first, as one buffer. */
  contents(): Buffer {
    return Buffer.concat(this.chunks, this.bytes);
  }

  get size(): number {
    return this.bytes;
  }
}
