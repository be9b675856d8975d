/** Names shared by workflows, activities and processes. Pure: safe to import from workflows/. */

/** Default task queue served by `ebbflow worker` (EBBFLOW_TASK_QUEUE overrides it). */
export const DEFAULT_TASK_QUEUE = 'ebbflow';

/** Search attributes registered by `ebbflow dev` / `ebbflow setup`, so runs are found by their source object. */
export const SEARCH_ATTRIBUTES = {
  sourceBucket: 'EbbflowSourceBucket',
  sourceKey: 'EbbflowSourceKey',
} as const;

/** The same with their types, as `temporal server start-dev --search-attribute name=type` registers them. */
export const SEARCH_ATTRIBUTE_TYPES: Readonly<Record<string, 'Keyword'>> = Object.fromEntries(
  Object.values(SEARCH_ATTRIBUTES).map((name) => [name, 'Keyword']),
);

/** Message attributes written on every dead-letter message. */
export const DLQ_ATTRIBUTES = {
  reason: 'ebbflow-reason',
  errorType: 'ebbflow-error-type',
  workflowId: 'ebbflow-workflow-id',
  attempts: 'ebbflow-attempts',
  source: 'ebbflow-source',
  /** `s3://bucket/key` of the original body, on a letter too large for SQS whose body is a pointer to it. */
  bodyLocation: 'ebbflow-body-location',
} as const;
