/**
 * Extract: lists a source's data files under its S3 prefix and streams their lines (JSON Lines) or records (CSV),
 * gunzipping on the way. Decoding failures become EtlCorruptInputError (permanent); network failures stay plain
 * errors (transient, retried). The decompressed bytes are bounded (EBBFLOW_ETL_MAX_FILE_BYTES,
 * EBBFLOW_ETL_MAX_LINE_BYTES): a gzip bomb or a file without newlines fails its source as EtlInputTooLargeError
 * instead of filling the worker's memory.
 */
import { StringDecoder } from 'node:string_decoder';
import { finished, pipeline, Transform, type Readable } from 'node:stream';
import { createGunzip } from 'node:zlib';
import { GetObjectCommand, paginateListObjectsV2, type S3Client } from '@aws-sdk/client-s3';
import { CsvError, parse } from 'csv-parse';
import type { EtlSourceDefinition } from '../common/etl-types';
import { EtlCorruptInputError, EtlInputTooLargeError, EtlMissingSourceError } from './errors';

const EXTENSIONS: Record<EtlSourceDefinition['format'], string[]> = {
  csv: ['.csv', '.csv.gz'],
  jsonl: ['.jsonl', '.jsonl.gz', '.ndjson', '.ndjson.gz', '.json', '.json.gz'],
};

export interface DataFile {
  bucket: string;
  key: string;
  size: number;
  gzip: boolean;
}

function isGzip(source: EtlSourceDefinition, key: string): boolean {
  const compression = source.compression ?? 'auto';
  return compression === 'gzip' || (compression === 'auto' && key.endsWith('.gz'));
}

/** The source's data files, sorted by key. Throws EtlMissingSourceError when there are none. */
export async function listDataFiles(
  s3: S3Client,
  source: EtlSourceDefinition,
  bucket: string,
  prefix: string,
): Promise<DataFile[]> {
  const files: DataFile[] = [];
  const gz = source.compression === 'gzip';
  try {
    for await (const page of paginateListObjectsV2({ client: s3 }, { Bucket: bucket, Prefix: prefix })) {
      for (const object of page.Contents ?? []) {
        const key = object.Key ?? '';
        const matches = EXTENSIONS[source.format].some((ext) => key.endsWith(ext)) || (gz && key.endsWith('.gz'));
        if (matches) files.push({ bucket, key, size: object.Size ?? 0, gzip: isGzip(source, key) });
      }
    }
  } catch (err) {
    if ((err as Error).name === 'NoSuchBucket') {
      throw new EtlMissingSourceError(`source ${source.name}: bucket ${bucket} does not exist`);
    }
    throw err;
  }
  if (files.length === 0) {
    throw new EtlMissingSourceError(
      `source ${source.name}: no ${source.format} files under s3://${bucket}/${prefix} (is the prefix right, and has the export for this date landed?)`,
    );
  }
  return files.sort((a, b) => (a.key < b.key ? -1 : 1));
}

function isDecodeError(err: unknown): boolean {
  const code = (err as { code?: string }).code ?? '';
  return ['Z_DATA_ERROR', 'Z_BUF_ERROR', 'ERR_INVALID_ARG_TYPE', 'Z_NEED_DICT'].includes(code);
}

export interface ExtractLimits {
  source: string;
  /** Longest line, in bytes, line ending excluded (EBBFLOW_ETL_MAX_LINE_BYTES). */
  maxLineBytes: number;
  /** Most bytes of the whole file (EBBFLOW_ETL_MAX_FILE_BYTES). */
  maxFileBytes: number;
}

/**
 * Passes `stream`'s bytes on, failing with EtlInputTooLargeError as soon as they exceed the file's limits; an error
 * of `stream` itself comes out unchanged. Counts bytes, not characters: a newline byte never occurs inside a UTF-8
 * sequence.
 */
function limitExtract(stream: Readable, file: DataFile, limits: ExtractLimits): Readable {
  const where = `source ${limits.source}: s3://${file.bucket}/${file.key}`;
  let total = 0;
  let line = 0;
  let lines = 1;
  const limiter = new Transform({
    transform(chunk: Buffer, _encoding, done) {
      total += chunk.length;
      if (total > limits.maxFileBytes) {
        return done(
          new EtlInputTooLargeError(
            `${where} holds more than ${limits.maxFileBytes} bytes once decompressed (EBBFLOW_ETL_MAX_FILE_BYTES); ` +
              'split the export, or raise the limit if the file is meant to be this large',
          ),
        );
      }
      let from = 0;
      for (let at = chunk.indexOf(0x0a); at >= 0; at = chunk.indexOf(0x0a, from)) {
        line += at - from;
        if (line > limits.maxLineBytes) break;
        line = 0;
        lines++;
        from = at + 1;
      }
      if (line <= limits.maxLineBytes) line += chunk.length - from;
      if (line > limits.maxLineBytes) {
        return done(
          new EtlInputTooLargeError(
            `${where}: line ${lines} is longer than ${limits.maxLineBytes} bytes (EBBFLOW_ETL_MAX_LINE_BYTES); ` +
              'is the file newline-delimited? Raise the limit if its records are meant to be this long',
          ),
        );
      }
      done(null, chunk);
    },
  });
  stream.on('error', (err) => limiter.destroy(err));
  limiter.on('error', () => stream.destroy());
  return stream.pipe(limiter);
}

/** The decompressed bytes of one file, bounded by `limits`; the caller destroys `body` when it is done. */
async function openFile(
  s3: S3Client,
  file: DataFile,
  limits: ExtractLimits,
): Promise<{ body: Readable; stream: Readable }> {
  const object = await s3.send(new GetObjectCommand({ Bucket: file.bucket, Key: file.key }));
  const body = object.Body as Readable | undefined;
  if (!body) throw new Error(`s3://${file.bucket}/${file.key}: empty response body`);
  let stream: Readable = body;
  if (file.gzip) {
    const gunzip = createGunzip();
    body.on('error', (err) => gunzip.destroy(err));
    stream = body.pipe(gunzip);
  }
  return { body, stream: limitExtract(stream, file, limits) };
}

/** A gzip decoding failure as the permanent error it is; anything else unchanged. */
function classifyReadError(file: DataFile, err: unknown): unknown {
  if (file.gzip && isDecodeError(err)) {
    return new EtlCorruptInputError(
      `s3://${file.bucket}/${file.key} is not valid gzip (${(err as Error).message}); re-export the file`,
      { cause: err },
    );
  }
  return err;
}

/**
 * Streams the lines of one file (without line endings; a trailing empty line is dropped), as the lines of each chunk
 * read: a consumer that awaits once per chunk instead of once per line spends far less on promises, which cost most
 * inside an activity (its context lives in AsyncLocalStorage, whose hook runs for every promise).
 */
export async function* readLines(s3: S3Client, file: DataFile, limits: ExtractLimits): AsyncGenerator<string[]> {
  const { body, stream } = await openFile(s3, file, limits);
  const decoder = new StringDecoder('utf8');
  let rest = '';
  try {
    for await (const chunk of stream) {
      rest += decoder.write(chunk as Buffer);
      const lines: string[] = [];
      let at = rest.indexOf('\n');
      let from = 0;
      while (at >= 0) {
        lines.push(withoutCr(rest.slice(from, at)));
        from = at + 1;
        at = rest.indexOf('\n', from);
      }
      rest = rest.slice(from);
      if (lines.length > 0) yield lines;
    }
  } catch (err) {
    throw classifyReadError(file, err);
  } finally {
    body.destroy();
  }
  rest += decoder.end();
  if (rest.length > 0) yield [withoutCr(rest)];
}

function withoutCr(line: string): string {
  return line.endsWith('\r') ? line.slice(0, -1) : line;
}

/**
 * The objects of an object-mode stream, in arrays of all it holds each time it is read (for the parser, every record
 * of a chunk of input): one await per arrival instead of one per object. Ends with the stream; throws its error, or
 * the premature-close error when it closes before its end.
 */
async function* drainInArrays<T>(stream: Readable): AsyncGenerator<T[]> {
  let ended: { error?: Error | null } | undefined;
  let wake: (() => void) | undefined;
  const notify = (): void => {
    wake?.();
    wake = undefined;
  };
  stream.on('readable', notify);
  const stopWatching = finished(stream, (error) => {
    ended = { error };
    notify();
  });
  try {
    for (;;) {
      const objects: T[] = [];
      for (let item: T | null = stream.read() as T | null; item !== null; item = stream.read() as T | null) {
        objects.push(item);
      }
      if (objects.length > 0) yield objects;
      else if (ended?.error) throw ended.error;
      else if (ended) return;
      else await new Promise<void>((resolve) => (wake = resolve));
    }
  } finally {
    stream.off('readable', notify);
    stopWatching();
  }
}

/**
 * Streams the records of one CSV file, its header first, as the records parsed from each chunk read. Quoting follows
 * RFC 4180, so a quoted field may hold commas, quotes and line breaks; a quote left open at the end of the file is
 * EtlCorruptInputError. The parser reads the decompressed bytes as they come, not line by line.
 */
export async function* readCsvRecords(s3: S3Client, file: DataFile, limits: ExtractLimits): AsyncGenerator<string[][]> {
  const { body, stream } = await openFile(s3, file, limits);
  const parser = parse({ relax_quotes: true, relax_column_count: true, skip_empty_lines: true });
  // An error on either side (a limit, bad gzip, the caller stopping early) ends both.
  pipeline(stream, parser, () => undefined);
  try {
    yield* drainInArrays<string[]>(parser);
  } catch (err) {
    if (err instanceof CsvError && err.code === 'CSV_QUOTE_NOT_CLOSED') {
      throw new EtlCorruptInputError(
        `s3://${file.bucket}/${file.key}: a quoted field opened near line ${err.lines} is never closed; fix the export`,
        { cause: err },
      );
    }
    throw classifyReadError(file, err);
  } finally {
    parser.destroy();
    body.destroy();
  }
}
