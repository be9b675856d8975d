/**
 * Creates what the pipeline needs on AWS or the emulator, idempotently: input and output buckets, the ingress queue
 * with its dead-letter queue (redrive after 3 receives), the S3 → SQS event notification (images only: one rule per image
 * ending under the image prefix, so ETL data and other objects in the bucket start nothing) and the notification topic.
 * In production Terraform (infra/terraform) owns these; `ebbflow dev` and `ebbflow setup` use this for local stacks.
 */
import {
  CreateBucketCommand,
  HeadBucketCommand,
  PutBucketNotificationConfigurationCommand,
  type S3Client,
} from '@aws-sdk/client-s3';
import { CreateTopicCommand } from '@aws-sdk/client-sns';
import { CreateQueueCommand, GetQueueAttributesCommand, SetQueueAttributesCommand } from '@aws-sdk/client-sqs';
import { SETTINGS } from '../config';
import { ConfigError } from '../errors';
import type { AwsClients } from './clients';

export interface PipelineNames {
  inputBucket: string;
  outputBucket: string;
  ingressQueue: string;
  dlq: string;
  topic: string;
  /** Receives before SQS moves a message to the DLQ by itself. */
  maxReceiveCount?: number;
  /** Visibility timeout of the ingress queue, in seconds. */
  visibilityTimeoutSeconds?: number;
  /** Prefix images arrive under. @defaultValue `uploads/` (EBBFLOW_IMAGE_KEY_PREFIX) */
  imagePrefix?: string;
  /** Image endings, one notification rule each (lower and upper case). @defaultValue EBBFLOW_IMAGE_KEY_SUFFIXES */
  imageSuffixes?: readonly string[];
}

const { keyPrefix, keySuffixes } = SETTINGS.image;
const DEFAULT_IMAGE_PREFIX = keyPrefix.parse(keyPrefix.default ?? '');
const DEFAULT_IMAGE_SUFFIXES = keySuffixes.parse(keySuffixes.default ?? '');

/** The key endings S3 notifies, from the image endings: its filters are case-sensitive, so each in both cases. */
export function notifiedEndings(suffixes: readonly string[]): string[] {
  return [...new Set(suffixes.flatMap((s) => [s.toLowerCase(), s.toUpperCase()]))];
}

/** One S3 → SQS rule per image ending (S3 filters are case-sensitive: both cases), all under the image prefix. */
function imageNotificationRules(
  queueArn: string,
  prefix = DEFAULT_IMAGE_PREFIX,
  suffixes: readonly string[] = DEFAULT_IMAGE_SUFFIXES,
): { Id: string; QueueArn: string; Events: ['s3:ObjectCreated:*']; Filter: object }[] {
  return notifiedEndings(suffixes).map((suffix) => ({
    Id: `ebbflow-ingress${suffix.replace(/[^A-Za-z0-9]/g, '-')}`,
    QueueArn: queueArn,
    Events: ['s3:ObjectCreated:*'],
    Filter: {
      Key: {
        FilterRules: [...(prefix ? [{ Name: 'prefix', Value: prefix }] : []), { Name: 'suffix', Value: suffix }],
      },
    },
  }));
}

export interface PipelineResources {
  inputBucket: string;
  outputBucket: string;
  ingressQueueUrl: string;
  ingressQueueArn: string;
  dlqUrl: string;
  dlqArn: string;
  notificationTopicArn: string;
}

/** The settings that point ebbflow's processes at a provisioned pipeline's buckets and queues. */
export function pipelineEnvironment(resources: PipelineResources): Record<string, string> {
  return {
    EBBFLOW_INPUT_BUCKET: resources.inputBucket,
    EBBFLOW_OUTPUT_BUCKET: resources.outputBucket,
    EBBFLOW_INGRESS_QUEUE_URL: resources.ingressQueueUrl,
    EBBFLOW_DLQ_URL: resources.dlqUrl,
  };
}

/** Pipeline names derived from one prefix, e.g. `ebbflow` → `ebbflow-input`, `ebbflow-ingress`, `ebbflow-dlq`. */
export function pipelineNames(prefix: string): PipelineNames {
  return {
    inputBucket: `${prefix}-input`,
    outputBucket: `${prefix}-output`,
    ingressQueue: `${prefix}-ingress`,
    dlq: `${prefix}-dlq`,
    topic: `${prefix}-notifications`,
  };
}

/** True for HeadBucket's answer when the bucket does not exist (a HEAD has no body: only the status tells). */
function isNoSuchBucket(err: unknown): boolean {
  const e = err as { name?: string; $metadata?: { httpStatusCode?: number } };
  return e.name === 'NotFound' || e.name === 'NoSuchBucket' || e.$metadata?.httpStatusCode === 404;
}

/**
 * Creates the bucket, in the client's region, when HeadBucket says it does not exist. Any other answer to HeadBucket
 * (access denied, a bucket of that name in another account) is thrown as it is.
 */
export async function ensureBucket(s3: S3Client, bucket: string): Promise<void> {
  try {
    await s3.send(new HeadBucketCommand({ Bucket: bucket }));
    return;
  } catch (err) {
    if (!isNoSuchBucket(err)) throw err;
  }
  // Outside us-east-1 the SDK adds the LocationConstraint S3 requires (its location-constraint middleware).
  await s3.send(new CreateBucketCommand({ Bucket: bucket }));
}

async function queueArn(clients: AwsClients, url: string): Promise<string> {
  const { Attributes } = await clients.sqs.send(
    new GetQueueAttributesCommand({ QueueUrl: url, AttributeNames: ['QueueArn'] }),
  );
  const arn = Attributes?.QueueArn;
  if (!arn) throw new Error(`queue ${url} has no QueueArn`);
  return arn;
}

export async function provisionPipeline(clients: AwsClients, names: PipelineNames): Promise<PipelineResources> {
  if (names.inputBucket === names.outputBucket) {
    throw new ConfigError(
      `EBBFLOW_INPUT_BUCKET and EBBFLOW_OUTPUT_BUCKET are both "${names.inputBucket}": variants written to the input ` +
        'bucket would be processed again. Use two buckets.',
    );
  }
  await ensureBucket(clients.s3, names.inputBucket);
  await ensureBucket(clients.s3, names.outputBucket);

  const dlq = await clients.sqs.send(
    new CreateQueueCommand({ QueueName: names.dlq, Attributes: { MessageRetentionPeriod: String(14 * 24 * 3600) } }),
  );
  const dlqUrl = dlq.QueueUrl!;
  const dlqArn = await queueArn(clients, dlqUrl);

  const ingress = await clients.sqs.send(
    new CreateQueueCommand({
      QueueName: names.ingressQueue,
      Attributes: { VisibilityTimeout: String(names.visibilityTimeoutSeconds ?? 60) },
    }),
  );
  const ingressQueueUrl = ingress.QueueUrl!;
  const ingressQueueArn = await queueArn(clients, ingressQueueUrl);
  await clients.sqs.send(
    new SetQueueAttributesCommand({
      QueueUrl: ingressQueueUrl,
      Attributes: {
        RedrivePolicy: JSON.stringify({ deadLetterTargetArn: dlqArn, maxReceiveCount: names.maxReceiveCount ?? 3 }),
        Policy: JSON.stringify({
          Version: '2012-10-17',
          Statement: [
            {
              Sid: 'AllowS3Notifications',
              Effect: 'Allow',
              Principal: { Service: 's3.amazonaws.com' },
              Action: 'sqs:SendMessage',
              Resource: ingressQueueArn,
              Condition: { ArnLike: { 'aws:SourceArn': `arn:aws:s3:::${names.inputBucket}` } },
            },
          ],
        }),
      },
    }),
  );

  await clients.s3.send(
    new PutBucketNotificationConfigurationCommand({
      Bucket: names.inputBucket,
      NotificationConfiguration: {
        QueueConfigurations: imageNotificationRules(ingressQueueArn, names.imagePrefix, names.imageSuffixes),
      },
    }),
  );

  const topic = await clients.sns.send(new CreateTopicCommand({ Name: names.topic }));

  return {
    inputBucket: names.inputBucket,
    outputBucket: names.outputBucket,
    ingressQueueUrl,
    ingressQueueArn,
    dlqUrl,
    dlqArn,
    notificationTopicArn: topic.TopicArn!,
  };
}
