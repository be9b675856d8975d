/**
 * The reason a closed workflow failed, as a person wants to read it. The SDK wraps what went wrong in an activity or a
 * child workflow in a failure of its own ("Activity task failed", "Child Workflow execution failed") whose cause holds
 * the message that says what happened: that message is the reason.
 */

/** Failures that only say where the cause happened; their cause says what. */
const WRAPPERS: ReadonlySet<string> = new Set(['WorkflowFailedError', 'ActivityFailure', 'ChildWorkflowFailure']);

/** The message of the first failure in the cause chain of `err` that is not a wrapper (at most 10 deep). */
export function failureReason(err: unknown): string {
  let current = err as { name?: string; message?: string; cause?: unknown } | undefined;
  for (let depth = 0; depth < 10 && current; depth++) {
    const next = current.cause as { message?: string } | undefined;
    if (!WRAPPERS.has(current.name ?? '') || !next) break;
    current = next;
  }
  return current?.message || String(err);
}
