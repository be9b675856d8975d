/**
 * What the bridge may start, decided before anything starts: S3 events start the image workflow only, for keys under
 * the image prefix with an image ending, from buckets it reads; envelopes start only the workflows configured for
 * them, with an input that matches the workflow's schema, naming only buckets and topics it is allowed to. Pure logic.
 */
import { z } from 'zod';
import type { EbbflowConfig } from '../config';
import { validateSources } from '../etl/sources';
import { assertTimeZone, isIsoDate } from '../common/report-dates';
import { positiveDurationProblem, reportRetryProblem, type ReportRetryBounds } from '../common/report-retry';
import { RESIZE_LIMITS, resolveVariants } from '../common/image-variants';
import { PROCESS_IMAGE_WORKFLOW } from '../images/workflow-input';

/** Why a message was refused, as its dead letter's error type. */
export type RefusalType = 'RefusedWorkflow' | 'InvalidInput' | 'RefusedMessage';

export interface AdmissionRules {
  /** Workflows an envelope may name. */
  envelopeWorkflows: ReadonlySet<string>;
  /** Keys that are images to process: under `prefix`, ending in one of `suffixes` (any case). */
  imageKeys: { prefix: string; suffixes: readonly string[] };
  /** Buckets a message may have read: the input bucket and the allowed ones. */
  readBuckets: ReadonlySet<string>;
  /** Buckets a message may have written to: the output bucket and the allowed ones, never the input bucket. */
  writeBuckets: ReadonlySet<string>;
  /** SNS topics a message may name: the notification topic and the allowed ones. */
  topics: ReadonlySet<string>;
}

export function admissionRules(config: Pick<EbbflowConfig, 'pipeline' | 'image' | 'bridge'>): AdmissionRules {
  const allowed = config.bridge.allowedBuckets ?? [];
  const { inputBucket, outputBucket, notificationTopicArn } = config.pipeline;
  return {
    envelopeWorkflows: new Set(config.bridge.envelopeWorkflows),
    imageKeys: { prefix: config.image.keyPrefix, suffixes: config.image.keySuffixes },
    readBuckets: new Set([inputBucket, ...allowed]),
    writeBuckets: new Set([outputBucket, ...allowed].filter((b) => b !== inputBucket)),
    topics: new Set([...(notificationTopicArn ? [notificationTopicArn] : []), ...(config.bridge.allowedTopics ?? [])]),
  };
}

/** True for a key the image workflow is for: under the image prefix, with an image ending in any case. */
export function isImageKey(key: string, rules: Pick<AdmissionRules, 'imageKeys'>): boolean {
  const { prefix, suffixes } = rules.imageKeys;
  const lower = key.toLowerCase();
  return key.startsWith(prefix) && suffixes.some((suffix) => lower.endsWith(suffix.toLowerCase()));
}

const positive = z.number().int().positive();
const duration = z.union([z.string().min(1).max(40), z.number().nonnegative()]);
const isoDate = z.string().regex(/^\d{4}-\d{2}-\d{2}$/, 'expected YYYY-MM-DD');

/** A whole number within one of the resize's limits, as the workflow checks it. */
const withinResizeLimit = (name: keyof typeof RESIZE_LIMITS) =>
  z.number().int().min(RESIZE_LIMITS[name].min).max(RESIZE_LIMITS[name].max);

const imageInputSchema = z
  .object({
    bucket: z.string().min(1),
    key: z.string().min(1),
    outputBucket: z.string().min(1).optional(),
    variants: z
      .array(
        z.union([z.string().min(1), z.object({ name: z.string().min(1), width: positive, height: positive }).strict()]),
      )
      .max(20)
      .optional(),
    maxAttempts: withinResizeLimit('maxAttempts').optional(),
    initialRetryIntervalMs: withinResizeLimit('initialRetryIntervalMs').optional(),
    activityTimeoutMs: withinResizeLimit('activityTimeoutMs').optional(),
    sizeBytes: z.number().int().nonnegative().optional(),
    localActivityMaxBytes: withinResizeLimit('localActivityMaxBytes').optional(),
    message: z.string().optional(),
    searchAttributes: z.boolean().optional(),
  })
  .strict()
  // The workflow's own check of the variants: an input it would refuse is refused here, before its id is used up.
  .superRefine((input, ctx) => {
    try {
      resolveVariants(input.variants);
    } catch (err) {
      ctx.addIssue({ code: 'custom', path: ['variants'], message: (err as Error).message });
    }
  });

const reportInputSchema = z
  .object({
    date: isoDate.refine(isIsoDate, 'expected a calendar date').optional(),
    timezone: z
      .string()
      .min(1)
      .max(64)
      .superRefine((zone, ctx) => {
        try {
          assertTimeZone(zone);
        } catch (err) {
          ctx.addIssue({ code: 'custom', message: (err as Error).message });
        }
      })
      .optional(),
    outputBucket: z.string().min(1).optional(),
    notificationTopicArn: z.string().min(1).optional(),
    holdForApproval: z.boolean().optional(),
    approvalTimeout: duration
      .superRefine((value, ctx) => {
        const problem = positiveDurationProblem(value, 'approvalTimeout');
        if (problem) ctx.addIssue({ code: 'custom', message: problem });
      })
      .optional(),
    retry: z
      .object({
        maximumAttempts: z.number().optional(),
        initialInterval: duration.optional(),
        maximumInterval: duration.optional(),
      })
      .strict()
      // The workflow's own check of the bounds: an input it would refuse is refused here, before its id is used up.
      .superRefine((retry, ctx) => {
        const problem = reportRetryProblem(retry as ReportRetryBounds);
        if (problem) ctx.addIssue({ code: 'custom', message: problem });
      })
      .optional(),
  })
  .strict();

const etlInputSchema = z
  .object({
    sources: z.union([z.string().min(1), z.array(z.unknown()).min(1)]),
    parallelism: z.number().int().min(1).max(1000).optional(),
    toleratedFailurePercent: z.number().min(0).max(100).optional(),
    toleratedFailureCount: z.number().int().nonnegative().optional(),
    maxAttempts: z.number().int().min(1).max(20).optional(),
    date: isoDate.optional(),
    only: z.array(z.string().min(1)).optional(),
    redriveOf: z.string().min(1).optional(),
    retryInitialIntervalMs: positive.optional(),
    heartbeatTimeoutMs: positive.optional(),
    attemptTimeoutMs: positive.optional(),
    continueAsNewAfterEvents: z.number().int().min(100).optional(),
  })
  // `carried` is the run's own state across continue-as-new: never set by a caller.
  .strict();

/** The buckets and topics an input names: what it reads, writes and notifies. */
interface Reach {
  reads: string[];
  writes: string[];
  topics: string[];
}

/** Each workflow an envelope may start, with its input schema and what an input makes it touch. */
const ENVELOPE_INPUTS: Record<string, { schema: z.ZodType; reach: (input: never) => Reach }> = {
  [PROCESS_IMAGE_WORKFLOW]: {
    schema: imageInputSchema,
    reach: (input: z.infer<typeof imageInputSchema>) => ({
      reads: [input.bucket],
      writes: input.outputBucket ? [input.outputBucket] : [],
      topics: [],
    }),
  },
  dailySalesReportWorkflow: {
    schema: reportInputSchema,
    reach: (input: z.infer<typeof reportInputSchema>) => ({
      reads: [],
      writes: input.outputBucket ? [input.outputBucket] : [],
      topics: input.notificationTopicArn ? [input.notificationTopicArn] : [],
    }),
  },
  etlFanOutWorkflow: {
    schema: etlInputSchema,
    reach: (input: z.infer<typeof etlInputSchema>) => ({
      reads:
        typeof input.sources === 'string'
          ? // A key in the input bucket, or a file in a bucket of its own that must be readable too.
            [/^s3:\/\/([^/]+)\//.exec(input.sources)?.[1]].filter((bucket): bucket is string => bucket !== undefined)
          : validateSources(input.sources, 'input.sources')
              .sources.map((s) => /^s3:\/\/([^/]+)/.exec(s.location)?.[1])
              .filter((bucket): bucket is string => bucket !== undefined),
      writes: [],
      topics: [],
    }),
  },
};

export type Admission = { ok: true } | { ok: false; errorType: RefusalType; reason: string };

const refuse = (errorType: RefusalType, reason: string): Admission => ({ ok: false, errorType, reason });

/** Whether an envelope may start `workflow` with `input`; the reason, naming the setting to change, when not. */
export function admitEnvelope(workflow: string, input: object, rules: AdmissionRules): Admission {
  if (!rules.envelopeWorkflows.has(workflow)) {
    const allowed = [...rules.envelopeWorkflows].sort().join(', ') || 'none';
    return refuse(
      'RefusedWorkflow',
      `envelopes may not start "${workflow}" (EBBFLOW_BRIDGE_ENVELOPE_WORKFLOWS allows: ${allowed})`,
    );
  }
  const known = ENVELOPE_INPUTS[workflow];
  if (!known) return { ok: true };
  const parsed = known.schema.safeParse(input);
  if (!parsed.success) {
    const issues = parsed.error.issues.map((i) => `${['input', ...i.path].join('.')}: ${i.message}`);
    return refuse('InvalidInput', `invalid input for ${workflow}: ${issues.slice(0, 5).join('; ')}`);
  }
  let reach: Reach;
  try {
    reach = known.reach(parsed.data as never);
  } catch (err) {
    return refuse('InvalidInput', `invalid input for ${workflow}: ${(err as Error).message}`);
  }
  const read = reach.reads.find((b) => !rules.readBuckets.has(b));
  if (read !== undefined) {
    return refuse(
      'RefusedMessage',
      `${workflow} may not read bucket "${read}" (the input bucket, or one in EBBFLOW_BRIDGE_ALLOWED_BUCKETS)`,
    );
  }
  const write = reach.writes.find((b) => !rules.writeBuckets.has(b));
  if (write !== undefined) {
    return refuse(
      'RefusedMessage',
      `${workflow} may not write to bucket "${write}" (the output bucket, or one in EBBFLOW_BRIDGE_ALLOWED_BUCKETS; never the input bucket)`,
    );
  }
  const topic = reach.topics.find((t) => !rules.topics.has(t));
  if (topic !== undefined) {
    return refuse(
      'RefusedMessage',
      `${workflow} may not notify topic "${topic}" (EBBFLOW_NOTIFICATION_TOPIC_ARN, or one in EBBFLOW_BRIDGE_ALLOWED_TOPICS)`,
    );
  }
  return { ok: true };
}
