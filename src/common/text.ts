/** Text helpers shared by workflows and processes. Pure: safe in workflows/. */

/** `message` cut to at most `max` characters, an ellipsis marking the cut (error messages kept in ledgers and tables). */
export function clip(message: string, max = 300): string {
  return message.length <= max ? message : `${message.slice(0, max - 1)}…`;
}
