/** Range checks of inputs, shared by workflows and processes. Pure: safe in workflows/. */

/** Why `value` is not a whole number from `min` to `max`, naming it `what` and the value; undefined when it is. */
export function wholeNumberProblem(value: unknown, min: number, max: number, what: string): string | undefined {
  if (typeof value === 'number' && Number.isInteger(value) && value >= min && value <= max) return undefined;
  const shown = typeof value === 'number' ? String(value) : JSON.stringify(value);
  return `${what} must be a whole number from ${min} to ${max}, got ${shown}`;
}
