/**
 * Steering a running fan-out with `ebbflow etl set`: a lower parallelism is obeyed, judged from the child start and
 * close times in the run's own history.
 */
import { GetObjectCommand } from '@aws-sdk/client-s3';
import { temporal } from '@temporalio/proto';
import { ETL_QUERY_LEDGER, type EtlLedger } from '../../../src/common/etl-types';
import { setEtlControls, startEtlRun } from '../../../src/etl/runs';
import { runCli } from '../../support/cli';
import { eventually } from '../../support/stack';
import { createEtlHarness, writeTwoRowSources, type EtlHarness } from './support';

const EventType = temporal.api.enums.v1.EventType;
type Event = temporal.api.history.v1.IHistoryEvent;

const millis = (e: Event): number => Number(e.eventTime?.seconds ?? 0) * 1000 + (e.eventTime?.nanos ?? 0) / 1e6;

/** Each child's [start, close) as the parent's history records them. */
function childIntervals(events: Event[]): { start: number; close: number }[] {
  const starts = new Map<number, number>();
  const intervals: { start: number; close: number }[] = [];
  for (const e of events) {
    if (e.eventType === EventType.EVENT_TYPE_CHILD_WORKFLOW_EXECUTION_STARTED) {
      starts.set(Number(e.childWorkflowExecutionStartedEventAttributes!.initiatedEventId), millis(e));
    }
    const closed =
      e.childWorkflowExecutionCompletedEventAttributes?.initiatedEventId ??
      e.childWorkflowExecutionFailedEventAttributes?.initiatedEventId;
    if (closed !== undefined && closed !== null)
      intervals.push({ start: starts.get(Number(closed))!, close: millis(e) });
  }
  return intervals;
}

const overlapAt = (t: number, intervals: { start: number; close: number }[]): number =>
  intervals.filter((i) => i.start <= t && t < i.close).length;

describe('etl set', () => {
  let h: EtlHarness;
  /** Opens the gate every source waits at; a failed test must open it too, or the worker never drains. */
  let open: (() => void) | undefined;

  beforeAll(async () => {
    h = await createEtlHarness('etl-steer');
  });
  afterAll(async () => {
    open?.();
    await h?.close();
  });

  it('lowers the parallelism of a running fan-out, validated, and the run obeys it', async () => {
    const { key, names } = await writeTwoRowSources(h.pipeline, 'steer', 12);
    // Every source waits at the gate, so four are in flight when the update arrives.
    const gate = new Promise<void>((resolve) => (open = resolve));
    await h.startWorker(() => gate);
    const id = await startEtlRun(
      h.client,
      { sources: key, date: '2025-03-17', parallelism: 4 },
      { taskQueue: h.pipeline.config.temporal.taskQueue },
    );
    const handle = h.client.workflow.getHandle(id);
    await eventually(
      'four sources in flight',
      async () => (await handle.query<EtlLedger>(ETL_QUERY_LEDGER)).inFlight === 4,
    );

    // Bad values are refused by the CLI, and by the update's validator when sent straight to the run.
    const refused = await runCli(h.pipeline.env, 'etl', 'set', id, '--parallelism', '0');
    expect(refused.code).toBe(2);
    expect(refused.stderr).toMatch(
      /--parallelism <n>' argument '0' is invalid\. expected a whole number from 1 to 1000/,
    );
    await expect(setEtlControls(h.client, id, { toleratedFailurePercent: 120 })).rejects.toThrow();

    const set = await runCli(
      h.pipeline.env,
      'etl',
      'set',
      id,
      '--parallelism',
      '1',
      '--tolerated-failure-count',
      '2',
      '--json',
    );
    expect(set.code).toBe(0);
    expect(JSON.parse(set.stdout)).toEqual({ parallelism: 1, toleratedFailurePercent: 100, toleratedFailureCount: 2 });
    const during = await handle.query<EtlLedger>(ETL_QUERY_LEDGER);
    expect(during.parallelism).toBe(1);
    expect(during.settings).toMatchObject({ parallelism: 1, toleratedFailureCount: 2 });
    open!();
    const result = (await handle.result()) as { status: string; counts: { succeeded: number } };
    expect(result).toMatchObject({ status: 'succeeded', counts: { succeeded: 12 } });

    // The final ledger is in the output bucket as JSON Lines, one line per source, and etl status links it.
    const ledgerKey = `etl/${id}/ledger.jsonl`;
    const bucket = h.pipeline.config.pipeline.outputBucket;
    const object = await h.pipeline.aws.s3.send(new GetObjectCommand({ Bucket: bucket, Key: ledgerKey }));
    const lines = (await object.Body!.transformToString())
      .trim()
      .split('\n')
      .map((l) => JSON.parse(l) as Record<string, unknown>);
    expect(lines).toHaveLength(12);
    expect(lines.map((l) => l.name)).toEqual(names);
    expect(
      lines.every(
        (l) => l.run === id && l.status === 'succeeded' && l.runStatus === 'succeeded' && l.rowsWritten === 2,
      ),
    ).toBe(true);
    const status = await runCli(h.pipeline.env, 'etl', 'status', id, '--once');
    expect(status.stdout).toContain(`ledger: s3://${bucket}/${ledgerKey}`);
    // A finished run has nothing to steer: said so, and what to do instead.
    const late = await runCli(h.pipeline.env, 'etl', 'set', id, '--parallelism', '2');
    expect(late.code).toBe(2);
    expect(late.stderr.trimEnd()).toBe(
      `ebbflow: etl set ${id}: the run has finished, there is nothing to change; ` +
        `\`ebbflow etl redrive ${id} --only-failed\` reruns its failed sources`,
    );

    const events = (await handle.fetchHistory()).events ?? [];
    const accepted = events.filter((e) => e.eventType === EventType.EVENT_TYPE_WORKFLOW_EXECUTION_UPDATE_ACCEPTED);
    expect(accepted).toHaveLength(1); // the refused one left no trace
    const acceptedAt = millis(accepted[0]!);
    const intervals = childIntervals(events);
    expect(intervals).toHaveLength(12);
    const before = intervals.filter((i) => i.start < acceptedAt);
    const after = intervals.filter((i) => i.start >= acceptedAt);
    expect(Math.max(...before.map((i) => overlapAt(i.start, intervals)))).toBe(4);
    expect(after).toHaveLength(8);
    // Once the update was accepted, every child started alone: the four in flight had closed first.
    expect(after.map((i) => overlapAt(i.start, intervals))).toEqual(Array(8).fill(1));
  }, 240_000);
});
