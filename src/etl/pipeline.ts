/**
 * One source, end to end: list its files, stream each, validate and normalise rows, upsert them in batches. Each
 * batch commits together with the checkpoint after it, and the checkpoint is reported (heartbeat), so an attempt that
 * dies resumes after the last committed batch: no row is loaded twice, none is skipped.
 */
import type { S3Client } from '@aws-sdk/client-s3';
import { topReasons } from '../common/etl-ledger';
import type { EtlCheckpoint, EtlLoadResult, EtlSourceDefinition } from '../common/etl-types';
import { EtlSchemaMismatchError } from './errors';
import { listDataFiles, readCsvRecords, readLines, type DataFile, type ExtractLimits } from './extract';
import { csvParser, jsonLinesParser, missingColumns, type Parsed, type Row } from './records';
import { columnsOf, resolveLocation, type ColumnSpec } from './sources';
import type { Warehouse } from './warehouse';

interface SourceEtlOptions {
  s3: S3Client;
  warehouse: Warehouse;
  source: EtlSourceDefinition;
  date: string;
  defaultBucket: string;
  /** Key of this source in this run: the checkpoint's identity. */
  scope: string;
  attempt: number;
  batchRows: number;
  /** Bounds on each data file once decompressed (EBBFLOW_ETL_MAX_LINE_BYTES, EBBFLOW_ETL_MAX_FILE_BYTES). */
  limits: Omit<ExtractLimits, 'source'>;
  /**
   * Called after every committed batch with the new checkpoint, and with the checkpoint resumed from every `batchRows`
   * rows a resumed attempt skips: at least once every `batchRows` rows read.
   */
  onProgress?: (checkpoint: EtlCheckpoint) => void;
  /** Checked wherever progress is reported; throws to stop (cancellation). */
  checkCancelled?: () => void;
  /** Position to resume from when the database has none (the last heartbeat of an interrupted attempt). */
  resumeHint?: EtlCheckpoint;
}

/**
 * The data records of one file, each parsed against the schema, in the arrays the extract reads them in: JSON Lines
 * one per non-blank line, CSV one per record after the header (which must name every required column).
 */
async function* parsedRecords(
  s3: S3Client,
  file: DataFile,
  source: EtlSourceDefinition,
  columns: readonly ColumnSpec[],
  limits: ExtractLimits,
): AsyncGenerator<Parsed[]> {
  if (source.format === 'jsonl') {
    const parse = jsonLinesParser(columns);
    for await (const lines of readLines(s3, file, limits)) {
      const parsed: Parsed[] = [];
      for (const line of lines) if (line.trim() !== '') parsed.push(parse(line));
      yield parsed;
    }
    return;
  }
  let parse: ((cells: readonly string[]) => Parsed) | undefined;
  for await (const records of readCsvRecords(s3, file, limits)) {
    if (!parse) {
      const header = records[0]!;
      const missing = missingColumns(columns, header);
      if (missing.length > 0) {
        throw new EtlSchemaMismatchError(
          `source ${source.name}: s3://${file.bucket}/${file.key} has no column ${missing.join(', ')} (header: ${header.join(', ')}); fix the export or the schema`,
        );
      }
      parse = csvParser(columns, header);
      yield records.slice(1).map(parse);
    } else yield records.map(parse);
  }
  if (!parse) {
    throw new EtlSchemaMismatchError(`source ${source.name}: s3://${file.bucket}/${file.key} has no header line`);
  }
}

/** How many leading JSON records without a required column make the whole source a schema mismatch. */
const SCHEMA_PROBE_RECORDS = 20;

export async function runSourceEtl(options: SourceEtlOptions): Promise<EtlLoadResult> {
  const { s3, warehouse, source, date, scope, attempt } = options;
  const columns = columnsOf(source);
  const { bucket, prefix } = resolveLocation(source, date, options.defaultBucket);
  const files = await listDataFiles(s3, source, bucket, prefix);
  await warehouse.ensureTable(source.table, columns, source.key);

  const stored = await warehouse.readCheckpoint(scope);
  const start = stored ?? options.resumeHint;
  const resumable = start !== undefined && files[start.fileIndex]?.key === start.file;
  const resumedFrom = resumable ? start : undefined;
  const reasons: Record<string, number> = resumable && stored ? { ...stored.rejectReasons } : {};
  let totals = {
    rowsRead: resumedFrom?.rowsRead ?? 0,
    rowsWritten: resumedFrom?.rowsWritten ?? 0,
    rowsRejected: resumedFrom?.rowsRejected ?? 0,
  };

  for (let fileIndex = resumedFrom?.fileIndex ?? 0; fileIndex < files.length; fileIndex++) {
    const file = files[fileIndex]!;
    const skip = resumedFrom && fileIndex === resumedFrom.fileIndex ? resumedFrom.offset : 0;
    let offset = 0;
    let batch: Row[] = [];
    let batchStart = skip;
    let probed = 0;
    let probeMisses: Record<string, number> = {};
    const flush = async (): Promise<void> => {
      options.checkCancelled?.();
      const checkpoint: EtlCheckpoint = { fileIndex, file: file.key, offset, ...totals };
      await warehouse.loadBatch({
        scope,
        source: source.name,
        date,
        table: source.table,
        key: source.key,
        rows: batch,
        attempt,
        checkpoint,
        fromRow: batchStart,
        rejectReasons: topReasons(reasons, 20),
      });
      options.onProgress?.(checkpoint);
      batch = [];
      batchStart = offset;
    };

    const limits = { ...options.limits, source: source.name };
    // One await per chunk of records, not per record: the loop below runs synchronously between batches.
    for await (const chunk of parsedRecords(s3, file, source, columns, limits)) {
      for (const parsed of chunk) {
        offset++;
        if (offset <= skip) {
          // Skipping millions of loaded rows takes longer than the heartbeat timeout: the resume point is the progress.
          if (offset % options.batchRows === 0) {
            options.checkCancelled?.();
            options.onProgress?.({ fileIndex, file: file.key, offset: skip, ...totals });
          }
          continue;
        }
        totals.rowsRead++;
        if (parsed.ok) {
          batch.push(parsed.row);
          totals.rowsWritten++;
        } else {
          totals.rowsRejected++;
          reasons[parsed.reason] = (reasons[parsed.reason] ?? 0) + 1;
        }
        if (source.format === 'jsonl' && skip === 0 && probed < SCHEMA_PROBE_RECORDS) {
          probed++;
          probeMisses = parsed.ok
            ? {}
            : /: missing$/.test(parsed.reason)
              ? { [parsed.reason]: (probeMisses[parsed.reason] ?? 0) + 1 }
              : {};
          const [reason, n] = Object.entries(probeMisses)[0] ?? [];
          if (reason && n === SCHEMA_PROBE_RECORDS) {
            throw new EtlSchemaMismatchError(
              `source ${source.name}: the first ${n} records of s3://${file.bucket}/${file.key} lack ${reason.replace(/: missing$/, '')}; fix the export or the schema`,
            );
          }
        }
        // Counted in rows read, not accepted: a stretch of rejected rows commits and reports its progress too.
        if (offset - batchStart >= options.batchRows) await flush();
      }
    }
    await flush();
  }
  totals = { ...totals };
  return { ...totals, rejectReasons: topReasons(reasons), files: files.length, resumedFrom };
}
