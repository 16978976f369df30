// The hooks components use to reach the app's controller and read its state.

import { createContext } from 'preact';
import { useContext } from 'preact/hooks';
import type { AppState } from '../client/app-state';
import type { Client } from '../client/client';
import { useSelect } from '../state/store';

export const ClientContext = createContext<Client | null>(null);

export function useClient(): Client {
  const c = useContext(ClientContext);
  if (!c) throw new Error('ClientContext missing');
  return c;
}

/** Reads a slice of the app state; the component re-renders when that slice changes. */
export function useApp<T>(select: (s: AppState) => T): T {
  return useSelect(useClient().store, select);
}
