/**
 * Activities of the fan-out ETL: reading the sources file, and extracting, transforming and loading one source.
 * Permanent failures (bad sources file, schema mismatch, missing prefix, corrupt gzip, a file or line beyond its
 * limit) are raised non-retryable with their error name as type; anything else is transient.
 */
import { GetObjectCommand, PutObjectCommand } from '@aws-sdk/client-s3';
import { ApplicationFailure, Context } from '@temporalio/activity';
import { expandEntry } from '../src/common/etl-ledger-codec';
import {
  type CompactLedgerEntry,
  type EtlCheckpoint,
  type EtlLoadResult,
  type EtlSourceInput,
  type EtlSourcesRef,
} from '../src/common/etl-types';
import { EtlSourcesConfigError, PERMANENT_ETL_ERRORS } from '../src/etl/errors';
import { runSourceEtl } from '../src/etl/pipeline';
import { locateSourcesFile, parseSourcesFile, validateSources, type EtlSourcesFile } from '../src/etl/sources';
import { Warehouse } from '../src/etl/warehouse';
import type { ActivityDeps } from './deps';

/** The final ledger of a run, compact (as it travels through continue-as-new), to be written to S3. */
export interface WriteEtlLedgerInput {
  workflowId: string;
  date: string;
  status: 'succeeded' | 'failed';
  /** The sources file, as recorded in histories; the ledger goes to the output bucket whatever it is. */
  configKey?: string;
  ledger: CompactLedgerEntry[];
}

export interface ResolveEtlSourcesInput {
  sources: EtlSourcesRef;
}

export interface ResolveEtlSourcesResult {
  names: string[];
  configKey?: string;
  configEtag?: string;
}

/** One attempt at one source: what the source workflow knows, plus the attempt's identity and resume hint. */
export type LoadEtlSourceInput = Pick<
  EtlSourceInput,
  'index' | 'name' | 'date' | 'definition' | 'configKey' | 'configEtag'
> & {
  attempt: number;
  /** Identity of this source in this run; its checkpoint is stored under it. */
  scope: string;
  resumeHint?: EtlCheckpoint;
};

/** Re-raises known permanent errors as non-retryable failures typed by their name. */
function asFailure(err: unknown): unknown {
  const e = err as Error;
  if (PERMANENT_ETL_ERRORS.includes(e.name)) return ApplicationFailure.nonRetryable(e.message, e.name);
  return err;
}

export function createEtlActivities(deps: ActivityDeps) {
  let warehouse: Warehouse | undefined;
  const files = new Map<string, Promise<{ file: EtlSourcesFile; etag: string }>>();
  const inputBucket = deps.config.pipeline.inputBucket;

  const readSourcesFile = (ref: string, etag?: string): Promise<{ file: EtlSourcesFile; etag: string }> => {
    const cacheKey = `${ref}@${etag ?? ''}`;
    let pending = files.get(cacheKey);
    if (!pending) {
      pending = (async () => {
        const { bucket, key } = locateSourcesFile(ref, inputBucket);
        let object;
        try {
          object = await deps.aws.s3.send(new GetObjectCommand({ Bucket: bucket, Key: key, IfMatch: etag }));
        } catch (err) {
          const name = (err as Error).name;
          if (name === 'NoSuchKey' || name === 'NoSuchBucket') {
            throw new EtlSourcesConfigError(`no sources file at s3://${bucket}/${key}`);
          }
          if (name === 'PreconditionFailed') {
            throw new EtlSourcesConfigError(`s3://${bucket}/${key} changed while the run was going; start a new run`);
          }
          throw err;
        }
        const text = await object.Body!.transformToString();
        return { file: parseSourcesFile(text, `s3://${bucket}/${key}`), etag: object.ETag ?? '' };
      })();
      pending.catch(() => files.delete(cacheKey));
      // Only pinned reads are cached: an unpinned one must see the file as it is now.
      if (etag) files.set(cacheKey, pending);
    }
    return pending;
  };

  return {
    /**
     * Writes `etl/<run>/ledger.jsonl` to the output bucket (the one workers may write; the input bucket is read-only
     * to them): one JSON object per source, with the run, date and run status on each.
     */
    async writeEtlLedger(input: WriteEtlLedgerInput): Promise<{ url: string }> {
      const bucket = deps.config.pipeline.outputBucket;
      const key = `etl/${input.workflowId}/ledger.jsonl`;
      const lines = input.ledger.map((c) =>
        JSON.stringify({ run: input.workflowId, date: input.date, runStatus: input.status, ...expandEntry(c) }),
      );
      await deps.aws.s3.send(
        new PutObjectCommand({
          Bucket: bucket,
          Key: key,
          Body: lines.length > 0 ? `${lines.join('\n')}\n` : '',
          ContentType: 'application/x-ndjson',
        }),
      );
      return { url: `s3://${bucket}/${key}` };
    },

    /** Validates the sources (a file in S3 or an inline list) and pins the file by its ETag. */
    async resolveEtlSources(input: ResolveEtlSourcesInput): Promise<ResolveEtlSourcesResult> {
      try {
        if (Array.isArray(input.sources)) {
          return { names: validateSources(input.sources, 'inline sources').sources.map((s) => s.name) };
        }
        const { file, etag } = await readSourcesFile(input.sources);
        return { names: file.sources.map((s) => s.name), configKey: input.sources, configEtag: etag };
      } catch (err) {
        throw asFailure(err);
      }
    },

    /** Extracts, transforms and loads one source for one date; heartbeats its checkpoint after every batch. */
    async loadEtlSource(input: LoadEtlSourceInput): Promise<EtlLoadResult> {
      const context = Context.current();
      try {
        let source = input.definition;
        let defaultBucket = inputBucket;
        if (!source) {
          if (!input.configKey) throw new EtlSourcesConfigError(`source ${input.name}: no definition and no file`);
          const { file } = await readSourcesFile(input.configKey, input.configEtag);
          source = file.sources[input.index];
          defaultBucket = file.bucket ?? inputBucket;
          if (source?.name !== input.name) {
            throw new EtlSourcesConfigError(`source ${input.index} of ${input.configKey} is not ${input.name}`);
          }
        }
        warehouse ??= new Warehouse(deps.database());
        const result = await runSourceEtl({
          s3: deps.aws.s3,
          warehouse,
          source,
          date: input.date,
          defaultBucket,
          scope: input.scope,
          attempt: input.attempt,
          batchRows: deps.config.etl.batchRows,
          limits: { maxLineBytes: deps.config.etl.maxLineBytes, maxFileBytes: deps.config.etl.maxFileBytes },
          resumeHint: input.resumeHint,
          onProgress: (checkpoint) => context.heartbeat(checkpoint),
          checkCancelled: () => {
            if (context.cancellationSignal.aborted) throw context.cancellationSignal.reason;
          },
        });
        if (result.resumedFrom) {
          deps.logger.info('source resumed from checkpoint', { source: input.name, ...result.resumedFrom });
        }
        return result;
      } catch (err) {
        throw asFailure(err);
      }
    },
  };
}
