/**
 * AWS clients built once per process from config. With AWS_ENDPOINT_URL set (the emulator), every client talks to it
 * with path-style S3 addressing; without it, the SDK's own endpoint and credential resolution apply (real AWS).
 */
import { CloudWatchClient } from '@aws-sdk/client-cloudwatch';
import { ECSClient } from '@aws-sdk/client-ecs';
import { S3Client } from '@aws-sdk/client-s3';
import { SNSClient } from '@aws-sdk/client-sns';
import { SQSClient } from '@aws-sdk/client-sqs';
import type { EbbflowConfig } from '../config';

export interface AwsClients {
  s3: S3Client;
  sqs: SQSClient;
  sns: SNSClient;
  ecs: ECSClient;
  cloudwatch: CloudWatchClient;
}

const CONNECT_TIMEOUT_MS = 5_000;
const IDLE_TIMEOUT_MS = 30_000;

function awsClientOptions(config: EbbflowConfig['aws']): {
  region: string;
  endpoint?: string;
  credentials?: { accessKeyId: string; secretAccessKey: string };
  maxAttempts: number;
  requestHandler: { connectionTimeout: number; socketTimeout: number };
} {
  return {
    region: config.region,
    endpoint: config.endpoint,
    maxAttempts: 3,
    // A connection that stops answering (a dropped NAT entry, a proxy gone away) fails and is retried instead of
    // hanging its caller for ever: the longest silence a healthy answer has is an SQS long poll's 20 s.
    requestHandler: { connectionTimeout: CONNECT_TIMEOUT_MS, socketTimeout: IDLE_TIMEOUT_MS },
    // The emulator accepts any key; supplying one keeps a laptop without AWS credentials working.
    credentials: config.emulatorCredentials ? { accessKeyId: 'test', secretAccessKey: 'test' } : undefined,
  };
}

export function createAwsClients(config: EbbflowConfig['aws']): AwsClients {
  const options = awsClientOptions(config);
  return {
    s3: new S3Client({ ...options, forcePathStyle: config.endpoint !== undefined }),
    sqs: new SQSClient(options),
    sns: new SNSClient(options),
    ecs: new ECSClient(options),
    cloudwatch: new CloudWatchClient(options),
  };
}
