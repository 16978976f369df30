// The two percentiles the benches report, shared by bench/stream.ts and the modules it uses.

export interface Dist {
  p50: number;
  p99: number;
  n: number;
}

export function dist(xs: number[]): Dist {
  const s = [...xs].sort((a, b) => a - b);
  const at = (p: number) => s[Math.min(s.length - 1, Math.floor(p * s.length))] ?? Number.NaN;
  return { p50: at(0.5), p99: at(0.99), n: s.length };
}

export const median = (xs: number[]) => dist(xs).p50;
