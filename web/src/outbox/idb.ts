// IndexedDB storage for the outbox: unsent messages survive a reload or a closed tab.

import { memoryStorage, type OutboxItem, type OutboxStorage } from './core';

const DB = 'gmgui';
const STORE = 'outbox';

function req<T>(r: IDBRequest<T>): Promise<T> {
  return new Promise((resolve, reject) => {
    r.onsuccess = () => resolve(r.result);
    r.onerror = () => reject(r.error);
  });
}

function open(): Promise<IDBDatabase> {
  return new Promise((resolve, reject) => {
    const r = indexedDB.open(DB, 1);
    r.onupgradeneeded = () => {
      if (!r.result.objectStoreNames.contains(STORE)) r.result.createObjectStore(STORE, { keyPath: 'key' });
    };
    r.onsuccess = () => resolve(r.result);
    r.onerror = () => reject(r.error);
    r.onblocked = () => reject(new Error('IndexedDB is blocked by another tab'));
  });
}

/** Resolves once the transaction committed, so a `put` is durable before we send. */
function done(tx: IDBTransaction): Promise<void> {
  return new Promise((resolve, reject) => {
    tx.oncomplete = () => resolve();
    tx.onerror = () => reject(tx.error);
    tx.onabort = () => reject(tx.error ?? new Error('transaction aborted'));
  });
}

export async function idbStorage(): Promise<{ storage: OutboxStorage; persistent: boolean }> {
  let db: IDBDatabase;
  try {
    if (typeof indexedDB === 'undefined') throw new Error('no IndexedDB');
    db = await open();
  } catch {
    // Private modes can refuse IndexedDB; the outbox still works for this page's lifetime.
    return { storage: memoryStorage(), persistent: false };
  }
  return {
    persistent: true,
    storage: {
      async all() {
        const tx = db.transaction(STORE, 'readonly');
        return (await req(tx.objectStore(STORE).getAll())) as OutboxItem[];
      },
      async put(item) {
        const tx = db.transaction(STORE, 'readwrite');
        tx.objectStore(STORE).put(item);
        await done(tx);
      },
      async delete(key) {
        const tx = db.transaction(STORE, 'readwrite');
        tx.objectStore(STORE).delete(key);
        await done(tx);
      },
    },
  };
}
