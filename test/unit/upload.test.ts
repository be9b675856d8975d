import { mkdirSync, mkdtempSync, symlinkSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { collectSubmission, collectUploads, unnotifiedReason } from '../../src/pipeline/upload';

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

describe('submission keys', () => {
  const image = { keyPrefix: 'incoming/', keySuffixes: ['.jpg', '.png'] };

  it('are checked against the notification rules: the image prefix, each ending in lower or upper case', () => {
    expect(unnotifiedReason('incoming/a.jpg', image)).toBeUndefined();
    expect(unnotifiedReason('incoming/trip/B.PNG', image)).toBeUndefined();
    expect(unnotifiedReason('incoming/IMG_1.Jpg', image)).toMatch(/ending is not one of \.jpg \.JPG \.png \.PNG/);
    expect(unnotifiedReason('elsewhere/a.jpg', image)).toMatch(/outside the image prefix "incoming\/"/);
  });

  it('go under the image prefix unless --prefix is given', () => {
    const root = mkdtempSync(path.join(os.tmpdir(), 'ebbflow-submit-'));
    writeFileSync(path.join(root, 'a.jpg'), 'xx');
    expect(collectSubmission([root], undefined, image)).toEqual({
      prefix: 'incoming/',
      items: [{ file: path.join(root, 'a.jpg'), key: 'incoming/a.jpg', bytes: 2 }],
    });
    expect(collectSubmission([root], 'incoming/batch1', image).items.map((i) => i.key)).toEqual([
      'incoming/batch1/a.jpg',
    ]);
  });

  it('are refused before anything is uploaded when S3 would not notify them, naming a few files', () => {
    const root = mkdtempSync(path.join(os.tmpdir(), 'ebbflow-submit-'));
    writeFileSync(path.join(root, 'a.jpg'), 'xx');
    for (let i = 1; i <= 7; i++) writeFileSync(path.join(root, `IMG_${i}.Jpg`), 'x');
    let error: Error | undefined;
    try {
      collectSubmission([root], undefined, image);
    } catch (err) {
      error = err as Error;
    }
    expect(error?.name).toBe('UsageError');
    expect(error?.message).toMatch(/^7 of 8 files would be uploaded but never processed/);
    expect(error?.message).toContain(`${path.join(root, 'IMG_1.Jpg')} (key incoming/IMG_1.Jpg: its ending`);
    expect(error?.message).toContain('and 2 more');
    expect(error?.message).not.toContain('IMG_7');
    expect(() => collectSubmission([root], 'other/', image)).toThrow(/outside the image prefix/);
  });
});
