/** Uploads local files to the input bucket, a few at a time; each upload fires the bucket's notification. */
import { createReadStream, readdirSync, realpathSync, statSync, type Stats } from 'node:fs';
import { readFile } from 'node:fs/promises';
import path from 'node:path';
import { PutObjectCommand, type S3Client } from '@aws-sdk/client-s3';
import { notifiedEndings } from '../aws/provision';
import { UsageError } from '../errors';
import { forEachConcurrently } from '../async';

/** File name endings taken for images: by `submit` from folders, by `backfill` from a bucket by default. */
export const IMAGE_EXTENSIONS = new Set(['.jpg', '.jpeg', '.png', '.webp', '.tif', '.tiff', '.gif', '.avif', '.heic']);
const CONTENT_TYPES: Record<string, string> = {
  '.jpg': 'image/jpeg',
  '.jpeg': 'image/jpeg',
  '.png': 'image/png',
  '.webp': 'image/webp',
  '.tif': 'image/tiff',
  '.tiff': 'image/tiff',
  '.gif': 'image/gif',
  '.avif': 'image/avif',
  '.heic': 'image/heic',
};

/**
 * Files up to this size are sent from memory, so the SDK can retry a throttled or dropped PUT (S3's 503 SlowDown, a
 * reset connection); a stream can be sent once only. Larger files stream, with the one attempt that allows.
 */
const RETRYABLE_UPLOAD_BYTES = 64 * 1024 * 1024;

export interface UploadItem {
  file: string;
  key: string;
  bytes: number;
}

/**
 * Expands files and folders into upload items. Folders contribute their image files (recursively), keyed by their
 * path below the folder; symbolic links are followed (a link back into a folder being walked is walked once), and
 * broken ones skipped. Files named explicitly are uploaded whatever their extension.
 */
export function collectUploads(paths: string[], prefix = ''): UploadItem[] {
  const items: UploadItem[] = [];
  const normalisedPrefix = prefix && !prefix.endsWith('/') ? `${prefix}/` : prefix;
  const walking = new Set<string>();
  const walk = (dir: string, root: string): void => {
    const real = realpathSync(dir);
    if (walking.has(real)) return;
    walking.add(real);
    for (const entry of readdirSync(dir, { withFileTypes: true }).sort((a, b) => a.name.localeCompare(b.name))) {
      const full = path.join(dir, entry.name);
      let stat: Stats | undefined;
      if (entry.isSymbolicLink()) stat = statSync(full, { throwIfNoEntry: false });
      if (entry.isDirectory() || stat?.isDirectory()) walk(full, root);
      else if ((entry.isFile() || stat?.isFile()) && IMAGE_EXTENSIONS.has(path.extname(entry.name).toLowerCase())) {
        const rel = path.relative(root, full).split(path.sep).join('/');
        items.push({ file: full, key: normalisedPrefix + rel, bytes: (stat ?? statSync(full)).size });
      }
    }
    walking.delete(real);
  };
  for (const p of paths) {
    let stat;
    try {
      stat = statSync(p);
    } catch {
      throw new UsageError(`no such file or folder: ${p}`);
    }
    if (stat.isDirectory()) walk(p, p);
    else items.push({ file: p, key: normalisedPrefix + path.basename(p), bytes: stat.size });
  }
  return items;
}

/** Where images must land to be processed: EBBFLOW_IMAGE_KEY_PREFIX and EBBFLOW_IMAGE_KEY_SUFFIXES. */
export interface ImageKeys {
  keyPrefix: string;
  keySuffixes: readonly string[];
}

/** Why S3 would not notify the bridge of `key`, or undefined when it would. */
export function unnotifiedReason(key: string, image: ImageKeys): string | undefined {
  if (!key.startsWith(image.keyPrefix)) return `outside the image prefix "${image.keyPrefix}"`;
  const endings = notifiedEndings(image.keySuffixes);
  if (!endings.some((ending) => key.endsWith(ending))) return `its ending is not one of ${endings.join(' ')}`;
  return undefined;
}

/** Files listed by name in a refusal; the rest are counted. */
const LISTED = 5;

/**
 * The upload items of `ebbflow submit`: under `prefix`, by default the image prefix. Refuses, before anything is
 * uploaded, files whose key S3 would not notify (outside the image prefix, or an ending in mixed case: notification
 * rules match case-sensitively): they would be uploaded and counted, and never processed. Keys are not renamed, as a
 * key is its workflow's idempotency key.
 */
export function collectSubmission(
  paths: string[],
  prefix: string | undefined,
  image: ImageKeys,
): { prefix: string; items: UploadItem[] } {
  const under = prefix ?? image.keyPrefix;
  const items = collectUploads(paths, under);
  const refused = items.flatMap((item) => {
    const reason = unnotifiedReason(item.key, image);
    return reason ? [`${item.file} (key ${item.key}: ${reason})`] : [];
  });
  if (refused.length > 0) {
    const more = refused.length > LISTED ? `\n  and ${refused.length - LISTED} more` : '';
    throw new UsageError(
      `${refused.length} of ${items.length} files would be uploaded but never processed, so nothing was uploaded:\n  ` +
        `${refused.slice(0, LISTED).join('\n  ')}${more}\n` +
        'Rename them to an ending listed, or upload under EBBFLOW_IMAGE_KEY_PREFIX (the default of --prefix).',
    );
  }
  return { prefix: under, items };
}

export async function uploadAll(
  s3: S3Client,
  bucket: string,
  items: UploadItem[],
  options: { concurrency?: number; onUploaded?: (item: UploadItem) => void; signal?: AbortSignal } = {},
): Promise<void> {
  await forEachConcurrently(items, options.concurrency ?? 8, async (item) => {
    options.signal?.throwIfAborted();
    const body = item.bytes <= RETRYABLE_UPLOAD_BYTES ? await readFile(item.file) : createReadStream(item.file);
    await s3.send(
      new PutObjectCommand({
        Bucket: bucket,
        Key: item.key,
        Body: body,
        ContentLength: Buffer.isBuffer(body) ? body.length : item.bytes,
        ContentType: CONTENT_TYPES[path.extname(item.file).toLowerCase()] ?? 'application/octet-stream',
      }),
      { abortSignal: options.signal },
    );
    options.onUploaded?.(item);
  });
}
