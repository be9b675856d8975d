/** Environment variable names that infrastructure files may set: every ebbflow setting plus AWS's own credentials. */
import { SETTINGS } from '../../../src/config';

const AWS_SDK_VARIABLES = ['AWS_ACCESS_KEY_ID', 'AWS_SECRET_ACCESS_KEY'];

export const KNOWN_VARIABLES: ReadonlySet<string> = new Set([
  ...Object.values(SETTINGS).flatMap((group) => Object.values(group).map((setting) => setting.env)),
  ...AWS_SDK_VARIABLES,
]);

/** Names in `names` that no setting declares (typos, or settings that were renamed). */
export function unknownVariables(names: Iterable<string>): string[] {
  return [...names].filter((name) => !KNOWN_VARIABLES.has(name));
}
