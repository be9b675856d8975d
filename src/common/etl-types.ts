/**
 * Types and constants of the fan-out ETL shared by workflows, activities and the CLI: the workflow inputs and
 * results, the per-source ledger, failure types and defaults. Pure: safe in workflows/.
 */

/** Where the list of sources comes from: the S3 key of a sources file (YAML or JSON), or the definitions inline. */
export type EtlSourcesRef = string | EtlSourceDefinition[];

export type EtlColumnType = 'string' | 'integer' | 'number' | 'boolean' | 'date' | 'timestamp';

/** One source, as written in the sources file (validated by src/etl/sources.ts). */
export interface EtlSourceDefinition {
  /** Unique name, used in the ledger, child workflow ids and the warehouse `_source` column. */
  name: string;
  /** `s3://bucket/prefix/` or a prefix in the input bucket; `{date}` is replaced by the run date. */
  location: string;
  format: 'csv' | 'jsonl';
  /** `auto` (default) decompresses objects whose key ends in `.gz`. */
  compression?: 'auto' | 'gzip' | 'none';
  /** Warehouse table the rows are upserted into. */
  table: string;
  /** Key columns; a row is identified by source, date and these. */
  key: string[];
  /** Column name → type; a trailing `?` marks an optional column (`note: string?`). */
  schema: Record<string, string>;
}

export interface EtlFanOutInput {
  /** S3 key (in the input bucket) of a sources file, or the definitions inline. */
  sources: EtlSourcesRef;
  /** Most sources in flight at once. @defaultValue 10 */
  parallelism?: number;
  /** Run fails only when the failed share of sources exceeds this percentage. @defaultValue 0 */
  toleratedFailurePercent?: number;
  /**
   * Run fails only when more sources than this fail. With both limits the run fails when either is exceeded; with
   * only this one, the percentage does not apply. @defaultValue none
   */
  toleratedFailureCount?: number;
  /** Attempts per source before it counts as failed. @defaultValue 3 */
  maxAttempts?: number;
  /** Business date (YYYY-MM-DD) loaded by this run; default: the run's start date (UTC). */
  date?: string;
  /** Run only these sources (by name): what a redrive does. */
  only?: string[];
  /** Workflow id of the run this one redrives. */
  redriveOf?: string;
  /** First retry delay of a source, in ms; doubles each attempt. @defaultValue 5000 */
  retryInitialIntervalMs?: number;
  /** A source attempt that does not heartbeat for this long is retried elsewhere, in ms. @defaultValue 60000 */
  heartbeatTimeoutMs?: number;
  /** Longest time of one source attempt, in ms. @defaultValue 3600000 */
  attemptTimeoutMs?: number;
  /** Continue as new once the history of a run has this many events. @defaultValue 4000 */
  continueAsNewAfterEvents?: number;
  /** State carried across continue-as-new; never set by callers. */
  carried?: EtlCarriedState;
}

/** The fan-out's state as it travels through continue-as-new. */
export interface EtlCarriedState {
  date: string;
  startedAt: number;
  /** Key and ETag of the sources file, pinned so every run of the chain reads the same definitions. */
  configKey?: string;
  configEtag?: string;
  ledger: CompactLedgerEntry[];
  /** Position in the ledger of the next source to start. */
  next: number;
  /** Number of runs before this one in the continue-as-new chain. */
  continuedRuns: number;
}

export type EtlSourceStatus = 'pending' | 'running' | 'succeeded' | 'failed';

export interface EtlLedgerEntry {
  /** Position of the source in the sources file. */
  index: number;
  name: string;
  status: EtlSourceStatus;
  attempts: number;
  rowsRead: number;
  rowsWritten: number;
  rowsRejected: number;
  durationMs: number;
  /** Why the source failed (last attempt). */
  error?: { type: string; message: string };
  /** Why earlier attempts failed, oldest first (at most 3 kept). */
  retries?: string[];
  /** Rejected rows by reason (at most 5 reasons kept). */
  rejectReasons?: Record<string, number>;
}

export interface EtlLedger {
  workflowId: string;
  date: string;
  redriveOf?: string;
  total: number;
  counts: Record<EtlSourceStatus, number>;
  inFlight: number;
  parallelism: number;
  startedAt: number;
  /** Runs of the continue-as-new chain so far, this one included. */
  runs: number;
  /** The run's settings, so a redrive can repeat them. */
  settings: EtlRunSettings;
  entries: EtlLedgerEntry[];
  /** Where the final ledger was written as JSON Lines (`s3://<bucket>/etl/<run>/ledger.jsonl`), once the run ended. */
  ledgerUrl?: string;
}

export type EtlRunSettings = Pick<
  EtlFanOutInput,
  | 'parallelism'
  | 'toleratedFailurePercent'
  | 'toleratedFailureCount'
  | 'maxAttempts'
  | 'retryInitialIntervalMs'
  | 'heartbeatTimeoutMs'
  | 'attemptTimeoutMs'
  | 'continueAsNewAfterEvents'
>;

export interface EtlFanOutResult extends EtlLedger {
  status: 'succeeded' | 'failed';
  failedPercent: number;
  toleratedFailurePercent: number;
  /** The sources reference the run used, so a redrive can read the same definitions. */
  sources: EtlSourcesRef;
}

/** Input of the child workflow that runs one source. */
export interface EtlSourceInput {
  index: number;
  name: string;
  date: string;
  /** The definition inline, or where to read it (sources file pinned by ETag). */
  definition?: EtlSourceDefinition;
  configKey?: string;
  configEtag?: string;
  maxAttempts: number;
  retryInitialIntervalMs: number;
  heartbeatTimeoutMs: number;
  attemptTimeoutMs: number;
}

export interface EtlSourceResult {
  index: number;
  name: string;
  attempts: number;
  rowsRead: number;
  rowsWritten: number;
  rowsRejected: number;
  durationMs: number;
  rejectReasons: Record<string, number>;
  retries: string[];
  /** Row position the last attempt resumed from, when it continued an interrupted one. */
  resumedFrom?: EtlCheckpoint;
}

/** Progress of a source attempt: heartbeat details and the resume point after a worker dies. */
export interface EtlCheckpoint {
  /** Index of the file in the sorted listing of the source's prefix, and its key. */
  fileIndex: number;
  file: string;
  /** Data rows of that file already loaded. */
  offset: number;
  /** Totals over the files before this position. */
  rowsRead: number;
  rowsWritten: number;
  rowsRejected: number;
}

/** What one attempt of the extract-transform-load activity returns. */
export interface EtlLoadResult {
  rowsRead: number;
  rowsWritten: number;
  rowsRejected: number;
  rejectReasons: Record<string, number>;
  files: number;
  resumedFrom?: EtlCheckpoint;
}

/** Failure types of a source; permanent ones are raised non-retryable. */
export const ETL_ERROR_TYPES = {
  schemaMismatch: 'EtlSchemaMismatchError',
  missingSource: 'EtlMissingSourceError',
  corruptInput: 'EtlCorruptInputError',
  inputTooLarge: 'EtlInputTooLargeError',
  invalidSources: 'EtlSourcesConfigError',
  toleranceExceeded: 'EtlToleranceExceededError',
  sourceFailed: 'EtlSourceFailedError',
} as const;

export const ETL_QUERY_LEDGER = 'etlLedger';

export const ETL_DEFAULTS = {
  parallelism: 10,
  toleratedFailurePercent: 0,
  maxAttempts: 3,
  retryInitialIntervalMs: 5000,
  heartbeatTimeoutMs: 60_000,
  attemptTimeoutMs: 3_600_000,
  continueAsNewAfterEvents: 4000,
} as const;

/** Longest wait between two attempts of a source: the doubling stops there, so twenty attempts take hours, not weeks. */
export const ETL_RETRY_MAX_INTERVAL_MS = 10 * 60_000;

/**
 * A ledger entry in the compact form carried across continue-as-new (etl-ledger-codec.ts converts):
 * `[index, name, status, attempts, read, written, rejected, durationMs, error?, retries?, rejectReasons?]`
 */
export type CompactLedgerEntry = [
  number,
  string,
  number,
  number,
  number,
  number,
  number,
  number,
  ([string, string] | 0)?,
  (string[] | 0)?,
  Record<string, number>?,
];
