/** What the bridge refuses to start, and why: internal workflows, bad inputs, foreign buckets and topics, non-images. */
import { admissionRules } from '../../../src/bridge/admission';
import { parseMessage } from '../../../src/bridge/messages';
import { defaultKnownWorkflows } from '../../../src/bridge/bridge';
import { planMessage, type MessagePlan } from '../../../src/bridge/plan';
import { loadConfig } from '../../../src/config';

const config = loadConfig(
  {
    EBBFLOW_INPUT_BUCKET: 'in',
    EBBFLOW_OUTPUT_BUCKET: 'out',
    EBBFLOW_NOTIFICATION_TOPIC_ARN: 'arn:aws:sns:us-east-1:1:ours',
  },
  { useDevState: false },
);

function plan(message: unknown, env: Record<string, string> = {}): MessagePlan {
  const body = JSON.stringify(message);
  const rules = admissionRules(Object.keys(env).length ? loadConfig({ ...env }, { useDevState: false }) : config);
  return planMessage(parseMessage(body), {
    messageId: 'm',
    body,
    knownWorkflows: new Set(defaultKnownWorkflows()),
    rules,
    imageInput: (source) => ({ ...source }),
  });
}

const s3Event = (bucket: string, key: string) => ({
  Records: [{ eventName: 'ObjectCreated:Put', s3: { bucket: { name: bucket }, object: { key, sequencer: '1' } } }],
});

describe('admission at the bridge', () => {
  it('refuses an envelope naming an internal workflow, with the setting that allows it', () => {
    const result = plan({ workflow: 'etlSourceWorkflow', id: '1', input: { definition: {} } });
    expect(result).toMatchObject({ kind: 'reject', errorType: 'RefusedWorkflow' });
    expect(result.kind === 'reject' && result.reason).toMatch(/EBBFLOW_BRIDGE_ENVELOPE_WORKFLOWS/);
  });

  it('validates the input against the workflow schema before starting', () => {
    const result = plan({ workflow: 'etlFanOutWorkflow', id: '1', input: { sources: 'x.yaml', maxAttempts: 1e9 } });
    expect(result).toMatchObject({ kind: 'reject', errorType: 'InvalidInput' });
    expect(result.kind === 'reject' && result.reason).toMatch(/input\.maxAttempts/);
    const carried = plan({ workflow: 'etlFanOutWorkflow', id: '1', input: { sources: 'x.yaml', carried: {} } });
    expect(carried).toMatchObject({ kind: 'reject', errorType: 'InvalidInput' });
    const sources = plan({ workflow: 'etlFanOutWorkflow', id: '1', input: { sources: [{ name: 'x' }] } });
    expect(sources).toMatchObject({ kind: 'reject', errorType: 'InvalidInput' });
    expect(plan({ workflow: 'etlFanOutWorkflow', id: '1', input: { sources: 'x.yaml' } }).kind).toBe('start');
  });

  it('refuses every image input the workflow would refuse, so that a corrected resend with the same id can start', () => {
    const image = (input: object) =>
      plan({ workflow: 'processImageWorkflow', id: '1', input: { bucket: 'in', key: 'uploads/a.jpg', ...input } });
    const refused: [object, RegExp][] = [
      [{ variants: ['thumb'] }, /input\.variants: unknown variant "thumb"/],
      [{ variants: [] }, /input\.variants: variants must be a non-empty list/],
      [{ variants: [{ name: 'x y', width: 10, height: 10 }] }, /input\.variants: a variant needs a name/],
      [{ variants: [{ name: 'huge', width: 20000, height: 10 }] }, /width must be a whole number from 1 to 16384/],
      [{ activityTimeoutMs: 500 }, /input\.activityTimeoutMs/],
      [{ initialRetryIntervalMs: 7_200_000 }, /input\.initialRetryIntervalMs/],
      [{ localActivityMaxBytes: 2 ** 31 }, /input\.localActivityMaxBytes/],
    ];
    for (const [input, reason] of refused) {
      expect(image(input)).toMatchObject({ kind: 'reject', errorType: 'InvalidInput', reason });
    }
    expect(image({ variants: ['thumbnail', { name: 'square', width: 512, height: 512 }] }).kind).toBe('start');
  });

  it('refuses every report input the workflow would refuse: dates off the calendar, unknown zones, unusable retries', () => {
    const report = (input: object) => plan({ workflow: 'dailySalesReportWorkflow', id: '1', input });
    const refused: [object, RegExp][] = [
      [{ date: '2026-02-30' }, /input\.date: expected a calendar date/],
      [{ timezone: 'Mars/Olympus' }, /input\.timezone: unknown time zone "Mars\/Olympus"/],
      [{ retry: { maximumAttempts: 0 } }, /retry\.maximumAttempts must be a whole number from 1 to 100, got 0/],
      [{ retry: { initialInterval: 'soon' } }, /retry\.initialInterval must be a duration above zero/],
      [{ holdForApproval: true, approvalTimeout: 0 }, /approvalTimeout must be a duration above zero/],
      // Against the default longest wait (1m), as the workflow checks it.
      [
        { retry: { initialInterval: '5m' } },
        /retry\.maximumInterval \(1m\) must not be shorter than retry\.initialInterval/,
      ],
    ];
    for (const [input, reason] of refused) {
      expect(report(input)).toMatchObject({ kind: 'reject', errorType: 'InvalidInput', reason });
    }
    const good = {
      date: '2028-02-29',
      timezone: 'Europe/Berlin',
      retry: { maximumAttempts: 50, initialInterval: '5m', maximumInterval: '10m' },
    };
    expect(report(good).kind).toBe('start');
  });

  it('reads an ETL sources file only from a bucket it may read, and takes the tolerated failure count', () => {
    const etl = (input: object) => plan({ workflow: 'etlFanOutWorkflow', id: '1', input });
    expect(etl({ sources: 's3://theirs/sources.yaml' })).toMatchObject({
      kind: 'reject',
      errorType: 'RefusedMessage',
      reason: /bucket "theirs"/,
    });
    expect(etl({ sources: 's3://in/etl/sources.yaml', toleratedFailureCount: 2 }).kind).toBe('start');
  });

  it('refuses foreign buckets and topics in envelopes unless configured', () => {
    const image = { workflow: 'processImageWorkflow', id: '1', input: { bucket: 'in', key: 'uploads/a.jpg' } };
    expect(plan(image).kind).toBe('start');
    const foreign = { ...image, input: { ...image.input, bucket: 'theirs' } };
    expect(plan(foreign)).toMatchObject({ kind: 'reject', errorType: 'RefusedMessage', reason: /bucket "theirs"/ });
    const output = { ...image, input: { ...image.input, outputBucket: 'in' } };
    expect(plan(output)).toMatchObject({ kind: 'reject', errorType: 'RefusedMessage', reason: /never the input/ });
    const topic = { workflow: 'dailySalesReportWorkflow', id: 'd', input: { notificationTopicArn: 'arn:x:theirs' } };
    expect(plan(topic)).toMatchObject({ kind: 'reject', errorType: 'RefusedMessage', reason: /topic "arn:x:theirs"/ });
    const allowing = {
      EBBFLOW_INPUT_BUCKET: 'in',
      EBBFLOW_BRIDGE_ALLOWED_BUCKETS: 'theirs',
      EBBFLOW_BRIDGE_ALLOWED_TOPICS: 'arn:x:theirs',
    };
    expect(plan(foreign, allowing).kind).toBe('start');
    expect(plan(topic, allowing).kind).toBe('start');
  });

  it('starts S3 events only for images under the image prefix of a bucket it reads', () => {
    expect(plan(s3Event('in', 'uploads/cat.JPG')).kind).toBe('start');
    expect(plan(s3Event('in', 'etl/orders/dt=2026-12-01/part.csv'))).toMatchObject({ kind: 'ignored' });
    expect(plan(s3Event('in', 'photos/cat.jpg'))).toMatchObject({ kind: 'ignored' });
    expect(plan(s3Event('theirs', 'uploads/cat.jpg'))).toMatchObject({ kind: 'reject', errorType: 'RefusedMessage' });
  });
});
