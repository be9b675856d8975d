/** Errors of the daily report. Each sets an explicit `name`, which is also its Temporal failure type. */

/**
 * Thrown when the sales database cannot be reached or queried. Transient: the activity retries it within its bounded
 * retry policy, and the workflow reports the last message when the attempts run out.
 */
export class SalesDatabaseError extends Error {
  override readonly name = 'SalesDatabaseError';
  constructor(message: string, options?: { cause?: unknown }) {
    super(message, options);
  }
}
