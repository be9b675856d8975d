/**
 * Every activity ebbflow runs, built from injected dependencies. Workflows proxy {@link Activities}, the type of what
 * `createActivities` returns, as a type only; the worker registers the object returned here.
 */
import { createDeadLetterActivities } from './dead-letter';
import type { ActivityDeps } from './deps';
import { createEtlActivities } from './etl';
import { createImageActivities } from './images';
import { createReportActivities } from './reports';

export type { ActivityDeps } from './deps';

export function createActivities(deps: ActivityDeps) {
  return {
    ...createDeadLetterActivities(deps),
    ...createEtlActivities(deps),
    ...createImageActivities(deps),
    ...createReportActivities(deps),
  };
}

export type Activities = ReturnType<typeof createActivities>;
