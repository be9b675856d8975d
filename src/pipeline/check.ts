/**
 * What `ebbflow check` verifies before anything is started against a configuration: that Temporal answers on its
 * namespace with ebbflow's search attributes, that the queues, buckets and topic exist and can be read, and that the
 * sales database answers. One line per part, each with what to set when it fails; nothing is created or changed.
 */
import { existsSync } from 'node:fs';
import { HeadBucketCommand } from '@aws-sdk/client-s3';
import { GetTopicAttributesCommand } from '@aws-sdk/client-sns';
import { temporal } from '@temporalio/proto';
import { sql } from 'kysely';
import { createAwsClients } from '../aws/clients';
import { redactUrl, type EbbflowConfig } from '../config';
import { openDatabase, parseDatabaseUrl } from '../db/connection';
import { serviceErrorLine } from '../errors';
import { connectClient } from '../temporal/connection';
import { missingSearchAttributes } from '../temporal/search-attributes';
import { queueDepth } from './status';

export type CheckStatus = 'ok' | 'warn' | 'fail' | 'skipped';

export interface CheckResult {
  name: string;
  status: CheckStatus;
  detail: string;
}

/** Runs `probe`, turning a throw into a failed check that says what to set. */
async function check(name: string, fix: string, probe: () => Promise<Omit<CheckResult, 'name'>>): Promise<CheckResult> {
  try {
    return { name, ...(await probe()) };
  } catch (err) {
    return { name, status: 'fail', detail: `${serviceErrorLine(err)} — ${fix}` };
  }
}

const skipped = (name: string, detail: string): CheckResult => ({ name, status: 'skipped', detail });

async function checkTemporal(config: EbbflowConfig): Promise<CheckResult[]> {
  const { address, namespace, taskQueue } = config.temporal;
  let client: Awaited<ReturnType<typeof connectClient>>;
  try {
    client = await connectClient(config.temporal);
  } catch (err) {
    return [
      { name: 'Temporal', status: 'fail', detail: (err as Error).message },
      skipped('search attributes', 'Temporal unreachable'),
      skipped('task queue', 'Temporal unreachable'),
    ];
  }
  try {
    const namespaceCheck = await check(
      'Temporal',
      'check TEMPORAL_NAMESPACE (Temporal Cloud: <namespace>.<account>) and the credentials',
      async () => {
        const [system, described] = await Promise.all([
          client.workflowService.getSystemInfo({}),
          client.workflowService.describeNamespace({ namespace }),
        ]);
        const version = system.serverVersion ? `, server ${system.serverVersion}` : '';
        return {
          status: 'ok',
          detail: `${address}, namespace ${described.namespaceInfo?.name ?? namespace}${version}`,
        };
      },
    );
    if (namespaceCheck.status === 'fail') {
      return [
        namespaceCheck,
        skipped('search attributes', 'namespace unreadable'),
        skipped('task queue', 'namespace unreadable'),
      ];
    }
    const attributes = config.image.searchAttributes
      ? await check('search attributes', 'register them with `ebbflow setup`', async () => {
          const missing = await missingSearchAttributes(client.connection, namespace);
          return missing.length === 0
            ? { status: 'ok', detail: 'EbbflowSourceBucket and EbbflowSourceKey registered' }
            : {
                status: 'fail',
                detail: `${missing.join(' and ')} not registered — run \`ebbflow setup\`, or set EBBFLOW_IMAGE_SEARCH_ATTRIBUTES=false`,
              };
        })
      : skipped('search attributes', 'EBBFLOW_IMAGE_SEARCH_ATTRIBUTES=false');
    const queue = await check('task queue', 'check EBBFLOW_TASK_QUEUE', async () => {
      const answers = await Promise.all(
        [
          temporal.api.enums.v1.TaskQueueType.TASK_QUEUE_TYPE_WORKFLOW,
          temporal.api.enums.v1.TaskQueueType.TASK_QUEUE_TYPE_ACTIVITY,
        ].map((taskQueueType) =>
          client.workflowService.describeTaskQueue({ namespace, taskQueue: { name: taskQueue }, taskQueueType }),
        ),
      );
      const workers = new Set(answers.flatMap((a) => a.pollers ?? []).map((p) => p.identity)).size;
      return workers > 0
        ? { status: 'ok', detail: `${taskQueue}: ${workers} worker${workers > 1 ? 's' : ''} polling` }
        : { status: 'warn', detail: `${taskQueue}: no worker polling (normal while scaled to zero)` };
    });
    return [namespaceCheck, attributes, queue];
  } finally {
    await client.connection.close();
  }
}

async function checkAws(config: EbbflowConfig): Promise<CheckResult[]> {
  const aws = createAwsClients(config.aws);
  const { ingressQueueUrl, dlqUrl, inputBucket, outputBucket, notificationTopicArn } = config.pipeline;
  const where = config.aws.endpoint ? ` at ${config.aws.endpoint}` : '';
  const queue = (name: string, url: string | undefined, env: string) =>
    url
      ? check(name, `check ${env} and the role's sqs:GetQueueAttributes`, async () => {
          const depth = await queueDepth(aws.sqs, url);
          return { status: 'ok', detail: `${url}: ${depth.visible} visible, ${depth.inFlight} in flight` };
        })
      : Promise.resolve<CheckResult>({ name, status: 'fail', detail: `${env} is not set` });
  const bucket = (name: string, bucketName: string, env: string) =>
    check(name, `check ${env}${where} and the role's s3:ListBucket`, async () => {
      await aws.s3.send(new HeadBucketCommand({ Bucket: bucketName }));
      return { status: 'ok', detail: `s3://${bucketName}` };
    });
  return Promise.all([
    queue('ingress queue', ingressQueueUrl, 'EBBFLOW_INGRESS_QUEUE_URL'),
    queue('dead-letter queue', dlqUrl, 'EBBFLOW_DLQ_URL'),
    bucket('input bucket', inputBucket, 'EBBFLOW_INPUT_BUCKET'),
    bucket('output bucket', outputBucket, 'EBBFLOW_OUTPUT_BUCKET'),
    notificationTopicArn
      ? check('notification topic', 'check EBBFLOW_NOTIFICATION_TOPIC_ARN', async () => {
          await aws.sns.send(new GetTopicAttributesCommand({ TopicArn: notificationTopicArn }));
          return { status: 'ok', detail: notificationTopicArn };
        })
      : Promise.resolve(skipped('notification topic', 'EBBFLOW_NOTIFICATION_TOPIC_ARN not set: reports notify nobody')),
  ]);
}

async function checkDatabase(config: EbbflowConfig): Promise<CheckResult> {
  const shown = redactUrl(config.database.url);
  const target = parseDatabaseUrl(config.database.url);
  if (target.kind === 'sqlite' && !existsSync(target.location)) {
    return {
      name: 'sales database',
      status: 'warn',
      detail: `${shown}: no file yet (\`ebbflow seed-data\` makes one)`,
    };
  }
  return check('sales database', 'check EBBFLOW_DATABASE_URL', async () => {
    const database = openDatabase<unknown>(config.database.url, { poolSize: 1 });
    try {
      await sql`select 1`.execute(database.db);
    } finally {
      await database.close();
    }
    return { status: 'ok', detail: shown };
  });
}

/** Every check, in the order they are shown; the parts run side by side. */
export async function runChecks(config: EbbflowConfig): Promise<CheckResult[]> {
  const [temporalResults, awsResults, database] = await Promise.all([
    checkTemporal(config),
    checkAws(config),
    checkDatabase(config),
  ]);
  return [...temporalResults, ...awsResults, database];
}
