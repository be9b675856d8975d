/** Shared by the report integration tests: PDFs read back from S3, text and pages, and SNS read through SQS. */
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readdirSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { GetObjectCommand, ListObjectsV2Command } from '@aws-sdk/client-s3';
import { SubscribeCommand } from '@aws-sdk/client-sns';
import {
  CreateQueueCommand,
  DeleteMessageCommand,
  GetQueueAttributesCommand,
  ReceiveMessageCommand,
} from '@aws-sdk/client-sqs';
import type { Client } from '@temporalio/client';
import sharp from 'sharp';
import type { AwsClients } from '../../../src/aws/clients';
import type { EbbflowConfig } from '../../../src/config';
import { silentLogger } from '../../../src/logger';
import { connectClient } from '../../../src/temporal/connection';
import { createActivities } from '../../../activities';
import { createActivityDeps, createWorker } from '../../../src/worker/worker';
import { uniqueName } from '../../support/stack';

export async function getObject(aws: AwsClients, bucket: string, key: string): Promise<Buffer> {
  const out = await aws.s3.send(new GetObjectCommand({ Bucket: bucket, Key: key }));
  return Buffer.from(await out.Body!.transformToByteArray());
}

export async function listKeys(aws: AwsClients, bucket: string, prefix = ''): Promise<string[]> {
  const out = await aws.s3.send(new ListObjectsV2Command({ Bucket: bucket, Prefix: prefix }));
  return (out.Contents ?? []).map((o) => o.Key!).sort();
}

function tempFile(name: string, bytes: Buffer): string {
  const file = path.join(mkdtempSync(path.join(os.tmpdir(), 'ebbflow-report-')), name);
  writeFileSync(file, bytes);
  return file;
}

/** The PDF's text in content order (`pdftotext -raw`). */
export function pdfText(pdf: Buffer): string {
  return execFileSync('pdftotext', ['-raw', tempFile('r.pdf', pdf), '-']).toString();
}

/** Each page rendered to PNG by pdftoppm, with the share of its pixels that are not near-white. */
export async function pdfPages(pdf: Buffer): Promise<{ file: string; inked: number }[]> {
  const file = tempFile('r.pdf', pdf);
  execFileSync('pdftoppm', ['-r', '36', '-png', file, path.join(path.dirname(file), 'page')]);
  const pngs = readdirSync(path.dirname(file))
    .filter((f) => f.endsWith('.png'))
    .sort()
    .map((f) => path.join(path.dirname(file), f));
  return Promise.all(
    pngs.map(async (png) => {
      const { data, info } = await sharp(png).greyscale().raw().toBuffer({ resolveWithObject: true });
      let dark = 0;
      for (const v of data) if (v < 200) dark++;
      return { file: png, inked: dark / (info.width * info.height) };
    }),
  );
}

/** A fresh SQS queue subscribed to the topic, delivering raw message bodies. */
export async function subscribeQueue(aws: AwsClients, topicArn: string): Promise<string> {
  const { QueueUrl } = await aws.sqs.send(new CreateQueueCommand({ QueueName: uniqueName('notes') }));
  const { Attributes } = await aws.sqs.send(new GetQueueAttributesCommand({ QueueUrl, AttributeNames: ['QueueArn'] }));
  await aws.sns.send(
    new SubscribeCommand({
      TopicArn: topicArn,
      Protocol: 'sqs',
      Endpoint: Attributes!.QueueArn,
      Attributes: { RawMessageDelivery: 'true' },
    }),
  );
  return QueueUrl!;
}

/** Receives (and deletes) whatever notifications are waiting, parsed. */
export async function receiveNotifications(aws: AwsClients, queueUrl: string): Promise<Record<string, unknown>[]> {
  const out = await aws.sqs.send(
    new ReceiveMessageCommand({ QueueUrl: queueUrl, MaxNumberOfMessages: 10, WaitTimeSeconds: 1 }),
  );
  const messages = out.Messages ?? [];
  for (const m of messages) {
    await aws.sqs.send(new DeleteMessageCommand({ QueueUrl: queueUrl, ReceiptHandle: m.ReceiptHandle! }));
  }
  return messages.map((m) => JSON.parse(m.Body!) as Record<string, unknown>);
}

/** A worker with the real activities on the pipeline's task queue, and a client; `stop()` shuts both down. */
export async function startReportWorker(config: EbbflowConfig): Promise<{ client: Client; stop: () => Promise<void> }> {
  const client = await connectClient(config.temporal);
  const deps = createActivityDeps(config, silentLogger);
  const activities = createActivities(deps);
  const worker = await createWorker({ config, logger: silentLogger, bundleFromSource: true, activities });
  const running = worker.run();
  return {
    client,
    async stop() {
      worker.shutdown();
      await running;
      await deps.closeDatabase();
      await client.connection.close();
    },
  };
}
