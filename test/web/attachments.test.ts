import { describe, expect, it } from 'vitest';
import * as server from '../../src/attachments/limits.ts';
import type { AttachmentInput } from '../../web/src/net/api';
import { confirmedKeys, makeItem, memoryStorage } from '../../web/src/outbox/core';
import { Outbox } from '../../web/src/outbox/outbox';
import {
  base64Bytes,
  baseName,
  cannotAdd,
  checkImage,
  type DraftAttachment,
  formatSize,
  IMAGE_TYPES,
  imageDraft,
  MAX_ATTACHMENTS,
  MAX_IMAGE_BYTES,
  MAX_MESSAGE_IMAGE_BYTES,
  sniffImage,
  tooLargeToRead,
} from '../../web/src/ui/attachments/limits';
import { type FolderEntry, matchEntries, mentionAt, takeEntry } from '../../web/src/ui/attachments/mention';
import { queuedAttachments, storedAttachments } from '../../web/src/ui/attachments/shown';
import { userMsg } from './fixtures';

// The composer's attachment rules (web/src/ui/attachments/) and the outbox carrying attachments.

const PNG = [0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a];
const bytes = (...b: number[]) => new Uint8Array(b);
const png = (extra = 4) => bytes(...PNG, ...Array.from({ length: extra }, (_, i) => i & 0xff));
const image = (id: string, size: number): DraftAttachment => ({
  id,
  name: `${id}.png`,
  size,
  input: { type: 'image', mimeType: 'image/png', data: 'AAAA', name: `${id}.png` },
});

describe('attachment limits', () => {
  it('are the server’s', () => {
    expect(MAX_IMAGE_BYTES).toBe(server.MAX_IMAGE_BYTES);
    expect(MAX_MESSAGE_IMAGE_BYTES).toBe(server.MAX_MESSAGE_IMAGE_BYTES);
    expect(MAX_ATTACHMENTS).toBe(server.MAX_ATTACHMENTS);
    expect([...IMAGE_TYPES]).toEqual([...server.IMAGE_TYPES]);
  });

  it('tell image types by their bytes, as the server does', () => {
    const samples = [
      png(),
      bytes(0xff, 0xd8, 0xff, 0xe0, 0, 0),
      bytes(0x47, 0x49, 0x46, 0x38, 0x39, 0x61, 0, 0),
      bytes(0x52, 0x49, 0x46, 0x46, 1, 2, 3, 4, 0x57, 0x45, 0x42, 0x50),
      bytes(0x3c, 0x73, 0x76, 0x67), // <svg
      bytes(),
    ];
    expect(samples.map(sniffImage)).toEqual([
      'image/png',
      'image/jpeg',
      'image/gif',
      'image/webp',
      null,
      null,
    ]);
    for (const s of samples) expect(sniffImage(s)).toBe(server.sniffImage(s));
  });

  it('know the decoded size of base64', () => {
    expect(base64Bytes('aGVsbG8=')).toBe(5);
    expect(base64Bytes('aGk=')).toBe(2);
    expect(base64Bytes('AAAA')).toBe(3);
    expect(base64Bytes('')).toBe(0);
  });

  it('make a draft of an image, typed by its bytes, named when pasted without a name', () => {
    const checked = checkImage('', png(), 12);
    expect(checked).toEqual({ mimeType: 'image/png', name: 'pasted-image.png' });
    if ('error' in checked) throw new Error(checked.error);
    expect(imageDraft('a1', checked, 12, 'AAAA')).toEqual({
      id: 'a1',
      name: 'pasted-image.png',
      size: 12,
      input: { type: 'image', mimeType: 'image/png', data: 'AAAA', name: 'pasted-image.png' },
    });
    // A JPEG named .png is sent as what it is.
    expect(checkImage('photo.png', bytes(0xff, 0xd8, 0xff, 0xe1), 4)).toEqual({
      mimeType: 'image/jpeg',
      name: 'photo.png',
    });
  });

  it('refuse what the server would, in words', () => {
    expect(checkImage('x.svg', new TextEncoder().encode('<svg/>'), 6)).toEqual({
      error: expect.stringContaining('x.svg is not a PNG, JPEG, GIF or WebP image'),
    });
    expect(checkImage('e.png', bytes(), 0)).toEqual({ error: 'e.png is empty.' });
    expect(checkImage('', png(), MAX_IMAGE_BYTES + 1)).toEqual({
      error: 'The pasted item is too large: an image may have at most 10 MB.',
    });
    expect(tooLargeToRead('big.jpg', MAX_IMAGE_BYTES + 1)).toBe(
      'big.jpg is too large: an image may have at most 10 MB.',
    );
    expect(tooLargeToRead('ok.jpg', MAX_IMAGE_BYTES)).toBeNull();
  });

  it('count attachments, sum images, refuse a file twice', () => {
    const ten = Array.from({ length: 10 }, (_, i) => image(`i${i}`, 1));
    expect(cannotAdd(ten, image('x', 1))).toBe('A message may carry at most 10 attachments.');
    const heavy = [image('a', 10 * 1024 * 1024), image('b', 9 * 1024 * 1024)];
    expect(cannotAdd(heavy, image('c', 1024 * 1024))).toBeNull();
    expect(cannotAdd(heavy, image('c', 1024 * 1024 + 1))).toMatch(/20 MB in all/);
    const file: DraftAttachment = {
      id: 'f',
      name: 'a.md',
      size: 3,
      input: { type: 'file', path: 'docs/a.md' },
    };
    expect(cannotAdd(heavy, file)).toBeNull();
    expect(cannotAdd([file], { ...file, id: 'g' })).toBe('a.md is attached already.');
  });

  it('format sizes and names', () => {
    expect(formatSize(900)).toBe('900 B');
    expect(formatSize(1536)).toBe('1.5 KB');
    expect(formatSize(10 * 1024 * 1024)).toBe('10 MB');
    expect(formatSize(2.5 * 1024 * 1024)).toBe('2.5 MB');
    expect(baseName('/home/me/proj/src/a.ts')).toBe('a.ts');
    expect(baseName('notes.md')).toBe('notes.md');
  });
});

describe('attachments shown in the thread', () => {
  const sha = 'a'.repeat(64);

  it('from a stored message: images under the app base by hash, files as chips; junk left out', () => {
    const m = {
      attachments: [
        { type: 'image', name: 's.png', mimeType: 'image/png', size: 10, sha256: sha, url: '/x/y' },
        { type: 'file', name: 'n.md', path: '/r/p/n.md' },
        { type: 'image', name: 'bad', sha256: '../../etc' },
        { type: 'file' },
        null,
      ],
    };
    expect(storedAttachments(m)).toEqual([
      { key: `0-${sha}`, kind: 'image', name: 's.png', size: 10, src: `api/attachments/${sha}`, path: null },
      { key: '1-/r/p/n.md', kind: 'file', name: 'n.md', size: null, src: null, path: '/r/p/n.md' },
    ]);
    expect(storedAttachments(userMsg('m', 'hi'))).toEqual([]);
    expect(storedAttachments({ attachments: 'no' })).toEqual([]);
  });

  it('from a queued message: images as data: URLs with their decoded size', () => {
    const q: AttachmentInput[] = [
      { type: 'image', mimeType: 'image/png', data: 'aGVsbG8=', name: 'h.png' },
      { type: 'file', path: 'src/main.ts' },
    ];
    expect(queuedAttachments(q)).toEqual([
      { key: 'q0', kind: 'image', name: 'h.png', size: 5, src: 'data:image/png;base64,aGVsbG8=', path: null },
      { key: 'q1', kind: 'file', name: 'main.ts', size: null, src: null, path: 'src/main.ts' },
    ]);
    expect(queuedAttachments(undefined)).toEqual([]);
  });
});

describe('the outbox carries attachments', () => {
  const att: AttachmentInput[] = [
    { type: 'image', mimeType: 'image/png', data: 'iVBORw0KGgo=', name: 'p.png' },
  ];

  it('stores them with the item and sends them with its key, after a reload too', async () => {
    const storage = memoryStorage();
    const sent: Array<{ key: string; attachments?: AttachmentInput[] }> = [];
    const deps = (status: number) => ({
      storage,
      send: async (item: { key: string; attachments?: AttachmentInput[] }) => {
        sent.push({ key: item.key, attachments: item.attachments });
        return { status, body: status === 201 ? { message: { id: 'm1' } } : null };
      },
      onChange: () => undefined,
      onConfirmed: () => undefined,
      onUnauthorized: () => undefined,
      random: () => 0.5,
    });
    const first = new Outbox(deps(0));
    const item = await first.enqueue('c1', '', null, att);
    await new Promise((r) => setTimeout(r, 20));
    first.stop();
    expect((await storage.all())[0]?.attachments).toEqual(att);
    // A new page: the stored item is sent again with the same key and the same bytes.
    const second = new Outbox(deps(201));
    await second.reload();
    second.kick();
    await new Promise((r) => setTimeout(r, 20));
    expect(sent.map((s) => s.key)).toEqual([item.key, item.key]);
    expect(sent.every((s) => JSON.stringify(s.attachments) === JSON.stringify(att))).toBe(true);
    expect(await storage.all()).toEqual([]);
  });

  it('an item without attachments has none (older stored items look the same)', () => {
    expect('attachments' in makeItem('c', 'hi', null, 1)).toBe(false);
    expect(makeItem('c', '', null, 1, att).attachments).toEqual(att);
  });

  it('the key-less fallback match needs as many attachments', () => {
    const item = makeItem('c', '', 'm0', 1, att);
    const before = userMsg('m0', 'earlier');
    const bare = userMsg('m1', '');
    expect(confirmedKeys([item], [before, bare]).size).toBe(0);
    const withImage = { ...userMsg('m2', ''), attachments: [{ type: 'image' }] };
    expect(confirmedKeys([item], [before, bare, withImage])).toEqual(new Set([item.key]));
  });
});

describe('@ mentions of the folder’s files', () => {
  const entries: FolderEntry[] = [
    { name: 'src', path: 'src', type: 'dir', hidden: false },
    { name: '.env', path: '.env', type: 'file', size: 3, hidden: true },
    { name: 'README.md', path: 'README.md', type: 'file', size: 10, hidden: false },
    { name: 'notes.md', path: 'notes.md', type: 'file', size: 5, hidden: false },
    { name: 'out', path: 'out', type: 'link', hidden: false },
    { name: 'fifo', path: 'fifo', type: 'other', hidden: false },
  ];

  it('find the path being typed at the caret', () => {
    expect(mentionAt('see @src/ma', 11)).toEqual({ start: 4, end: 11, dir: 'src', prefix: 'ma' });
    expect(mentionAt('@', 1)).toEqual({ start: 0, end: 1, dir: '', prefix: '' });
    expect(mentionAt('@README and more', 3)).toEqual({ start: 0, end: 3, dir: '', prefix: 're' });
    expect(mentionAt('mail me@example.com', 19)).toBeNull();
    expect(mentionAt('@a @b', 2)).toEqual({ start: 0, end: 2, dir: '', prefix: 'a' });
    expect(mentionAt('no mention', 10)).toBeNull();
    expect(mentionAt('@a@b', 4)).toBeNull();
  });

  it('match names that start with, then contain, the prefix; no dot-names unless asked; nothing unattachable', () => {
    expect(matchEntries(entries, '').map((e) => e.name)).toEqual(['src', 'README.md', 'notes.md']);
    expect(matchEntries(entries, 'n').map((e) => e.name)).toEqual(['notes.md']);
    expect(matchEntries(entries, 'md').map((e) => e.name)).toEqual(['README.md', 'notes.md']);
    expect(matchEntries(entries, '.e').map((e) => e.name)).toEqual(['.env']);
    expect(matchEntries(entries, 'ou')).toEqual([]);
  });

  it('replace the mention with the path: a file ends it, a folder goes on', () => {
    const q = mentionAt('look at @no please', 11);
    if (!q) throw new Error('no mention');
    expect(takeEntry('look at @no please', q, entries[3] as FolderEntry)).toEqual({
      text: 'look at @notes.md please',
      caret: 17,
    });
    const end = mentionAt('see @no', 7);
    if (!end) throw new Error('no mention');
    expect(takeEntry('see @no', end, entries[3] as FolderEntry)).toEqual({
      text: 'see @notes.md ',
      caret: 14,
    });
    const d = mentionAt('@s', 2);
    if (!d) throw new Error('no mention');
    expect(takeEntry('@s', d, entries[0] as FolderEntry)).toEqual({ text: '@src/', caret: 5 });
  });
});
