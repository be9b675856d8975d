/**
 * Builds `processImageWorkflow` inputs with the worker-side image settings of the config (attempts, first retry
 * delay, attempt timeout, local resize size), so the bridge and the CLI start workflows that honour EBBFLOW_IMAGE_* without the
 * workflow reading the environment.
 */
import type { ProcessImageInput } from '../common/image-variants';
import type { EbbflowConfig } from '../config';

/** The workflow type name, as the bridge and `temporal workflow start --type` spell it. */
export const PROCESS_IMAGE_WORKFLOW = 'processImageWorkflow';

export function processImageInput(
  config: Pick<EbbflowConfig, 'image'>,
  source: { bucket: string; key: string },
  extra: Partial<Omit<ProcessImageInput, 'bucket' | 'key'>> = {},
): ProcessImageInput {
  return {
    bucket: source.bucket,
    key: source.key,
    maxAttempts: config.image.maxAttempts,
    initialRetryIntervalMs: config.image.initialRetryInterval,
    activityTimeoutMs: config.image.activityTimeout,
    localActivityMaxBytes: config.image.localActivityMaxBytes,
    ...(config.image.searchAttributes ? {} : { searchAttributes: false }),
    ...extra,
  };
}
