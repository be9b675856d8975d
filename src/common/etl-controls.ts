/** Steering a running fan-out: the `etlSet` update's request, its answer and its validation. Pure. */

/** Name of the update that changes a running fan-out's parallelism and failure tolerance. */
export const ETL_UPDATE_SET = 'etlSet';

/** What `ebbflow etl set` asks a running fan-out to change; absent fields stay as they are. */
export interface EtlSetRequest {
  parallelism?: number;
  toleratedFailurePercent?: number;
  toleratedFailureCount?: number;
}

/** The settings a fan-out obeys after an update: its answer. */
export interface EtlControls {
  parallelism: number;
  toleratedFailurePercent: number;
  toleratedFailureCount?: number;
}

/** Most sources a fan-out may run at once. */
export const ETL_MAX_PARALLELISM = 1000;

/** Why an `etlSet` request is refused, or undefined when it is valid. */
export function etlSetProblem(request: EtlSetRequest | undefined): string | undefined {
  const r = request ?? {};
  if (r.parallelism === undefined && r.toleratedFailurePercent === undefined && r.toleratedFailureCount === undefined) {
    return 'nothing to change: give parallelism, toleratedFailurePercent or toleratedFailureCount';
  }
  const whole = (v: unknown): boolean => typeof v === 'number' && Number.isInteger(v);
  if (
    r.parallelism !== undefined &&
    !(whole(r.parallelism) && r.parallelism >= 1 && r.parallelism <= ETL_MAX_PARALLELISM)
  ) {
    return `parallelism must be a whole number from 1 to ${ETL_MAX_PARALLELISM}, got ${String(r.parallelism)}`;
  }
  const p = r.toleratedFailurePercent;
  if (p !== undefined && !(typeof p === 'number' && Number.isFinite(p) && p >= 0 && p <= 100)) {
    return `toleratedFailurePercent must be a number from 0 to 100, got ${String(p)}`;
  }
  if (r.toleratedFailureCount !== undefined && !(whole(r.toleratedFailureCount) && r.toleratedFailureCount >= 0)) {
    return `toleratedFailureCount must be a whole number ≥ 0, got ${String(r.toleratedFailureCount)}`;
  }
  return undefined;
}
