// Loading one thing for a component: the latest answer wins (an older request that ends later is
// dropped), errors become the server's sentence, and `reload` asks again.

import { useCallback, useEffect, useRef, useState } from 'preact/hooks';
import { errText } from '../lib/errors';

export interface Loaded<T> {
  data: T | null;
  error: string;
  loading: boolean;
  reload: () => void;
}

export function useLoad<T>(load: () => Promise<T>, deps: unknown[]): Loaded<T> {
  const [data, setData] = useState<T | null>(null);
  const [error, setError] = useState('');
  const [loading, setLoading] = useState(true);
  const [tick, setTick] = useState(0);
  const latest = useRef(0);
  // The caller's deps decide when to load again.
  useEffect(() => {
    const n = ++latest.current;
    setLoading(true);
    load().then(
      (d) => {
        if (n !== latest.current) return;
        setData(d);
        setError('');
        setLoading(false);
      },
      (e: unknown) => {
        if (n !== latest.current) return;
        setError(errText(e));
        setLoading(false);
      },
    );
  }, [...deps, tick]);
  const reload = useCallback(() => setTick((t) => t + 1), []);
  return { data, error, loading, reload };
}
