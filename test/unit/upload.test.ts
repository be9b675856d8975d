import { mkdirSync, mkdtempSync, symlinkSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { collectUploads } from '../../src/pipeline/upload';

describe('collectUploads', () => {
  const root = mkdtempSync(path.join(os.tmpdir(), 'ebbflow-upload-'));
  mkdirSync(path.join(root, 'album', 'trip'), { recursive: true });
  writeFileSync(path.join(root, 'album', 'a.jpg'), 'xx');
  writeFileSync(path.join(root, 'album', 'trip', 'b.PNG'), 'yyy');
  writeFileSync(path.join(root, 'album', 'notes.txt'), 'z');
  writeFileSync(path.join(root, 'single.bin'), 'w');

  it('walks folders for images, keyed by their path below the folder', () => {
    const items = collectUploads([path.join(root, 'album')], 'uploads');
    expect(items.map((i) => [i.key, i.bytes])).toEqual([
      ['uploads/a.jpg', 2],
      ['uploads/trip/b.PNG', 3],
    ]);
  });

  it('follows symbolic links to images and folders, once around a loop, and skips broken ones', () => {
    const linked = path.join(root, 'linked');
    mkdirSync(linked);
    symlinkSync(path.join(root, 'album', 'a.jpg'), path.join(linked, 'cover.jpg'));
    symlinkSync(path.join(root, 'album', 'trip'), path.join(linked, 'trip'));
    symlinkSync(linked, path.join(linked, 'loop'));
    symlinkSync(path.join(root, 'gone.jpg'), path.join(linked, 'gone.jpg'));
    const items = collectUploads([linked]);
    expect(items.map((i) => [i.key, i.bytes])).toEqual([
      ['cover.jpg', 2],
      ['trip/b.PNG', 3],
    ]);
  });

  it('uploads a file named explicitly whatever its extension', () => {
    expect(collectUploads([path.join(root, 'single.bin')]).map((i) => i.key)).toEqual(['single.bin']);
  });

  it('names a path that does not exist', () => {
    expect(() => collectUploads([path.join(root, 'missing')])).toThrow(/no such file or folder: .*missing/);
  });
});
