/**
 * Errors of the ETL. Each permanent one carries the type the activity raises it under (non-retryable), so the ledger
 * and `nonRetryableErrorTypes` speak the same names. Compare `name`, not instanceof.
 */
import { ETL_ERROR_TYPES } from '../common/etl-types';

/** Thrown when a sources file does not validate; the message names the bad field (`sources[3].format: …`). */
export class EtlSourcesConfigError extends Error {
  override readonly name = ETL_ERROR_TYPES.invalidSources;
}

/** Thrown when a source's data does not match its schema: a CSV header lacks required columns, or records do. */
export class EtlSchemaMismatchError extends Error {
  override readonly name = ETL_ERROR_TYPES.schemaMismatch;
}

/** Thrown when a source's prefix holds no data file for the run date. */
export class EtlMissingSourceError extends Error {
  override readonly name = ETL_ERROR_TYPES.missingSource;
}

/** Thrown when a data file cannot be decoded (corrupt gzip). */
export class EtlCorruptInputError extends Error {
  override readonly name = ETL_ERROR_TYPES.corruptInput;
  constructor(message: string, options?: { cause?: unknown }) {
    super(message, options);
  }
}

/**
 * Thrown when a data file, once decompressed, is larger than EBBFLOW_ETL_MAX_FILE_BYTES (a gzip bomb) or holds a
 * line longer than EBBFLOW_ETL_MAX_LINE_BYTES (a file without newlines).
 */
export class EtlInputTooLargeError extends Error {
  override readonly name = ETL_ERROR_TYPES.inputTooLarge;
}

/** Names of the errors that retrying cannot fix. */
export const PERMANENT_ETL_ERRORS: readonly string[] = [
  ETL_ERROR_TYPES.invalidSources,
  ETL_ERROR_TYPES.schemaMismatch,
  ETL_ERROR_TYPES.missingSource,
  ETL_ERROR_TYPES.corruptInput,
  ETL_ERROR_TYPES.inputTooLarge,
];
