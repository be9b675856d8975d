import { parseMessage } from '../../src/bridge/messages';
import { s3WorkflowId } from '../../src/bridge/workflow-id';
import { backfillStart, notificationFor, parseRate, parseS3Url, parseSuffixes } from '../../src/pipeline/backfill';
import { RateLimiter } from '../../src/pipeline/rate-limit';

const imageInput = (source: { bucket: string; key: string }) => ({ ...source, maxAttempts: 3 });

describe('backfill', () => {
  it('reads s3:// locations, rates and suffix lists, and names what is wrong', () => {
    expect(parseS3Url('s3://photos/2024/')).toEqual({ bucket: 'photos', prefix: '2024/' });
    expect(parseS3Url('s3://photos')).toEqual({ bucket: 'photos', prefix: '' });
    expect(() => parseS3Url('photos/2024')).toThrow(/s3:\/\/bucket\/prefix.*"photos\/2024"/);
    expect(parseRate('50/s')).toBe(50);
    expect(parseRate('25')).toBe(25);
    expect(parseRate('600/min')).toBe(10);
    expect(() => parseRate('0/s')).toThrow('expected a rate above 0 such as 50/s or 600/min');
    expect(() => parseRate('fast')).toThrow('expected a rate above 0 such as 50/s or 600/min');
    expect(parseSuffixes('.JPG, png')).toEqual(['.jpg', '.png']);
    expect(() => parseSuffixes(' , ')).toThrow(/--suffix/);
  });

  it('starts an object with the id the bridge derives from its notification, however the key is spelled', () => {
    const object = { key: 'photos/my cat+1 é.jpg', size: 1234, eTag: '"9dd4e461268c8034f5c8564e155c67a6"' };
    const start = backfillStart('in', object, imageInput);
    // The bridge's view of a real notification of this object: event time and sequencer do not change the id.
    const notified = s3WorkflowId({
      bucket: 'in',
      key: object.key,
      eTag: '9dd4e461268c8034f5c8564e155c67a6',
      sequencer: '0055AED6DCD90281E5',
      eventTime: '2026-11-26T14:51:02.858653',
    });
    expect(start.workflowId).toBe(notified);
    expect(start.workflowType).toBe('processImageWorkflow');
    expect(start.input).toMatchObject({ bucket: 'in', key: object.key, sizeBytes: 1234, maxAttempts: 3 });
    // The message it carries parses back to the same object, so a redrive from the DLQ derives the same id.
    const parsed = parseMessage(notificationFor('in', object));
    expect(parsed).toMatchObject({ kind: 'items', items: [{ bucket: 'in', key: object.key, size: 1234 }] });
    expect((start.input as { message: string }).message).toBe(notificationFor('in', object));
  });

  it('paces calls evenly at the rate, however many wait at once', async () => {
    let now = 1000;
    const slept: number[] = [];
    const limiter = new RateLimiter(
      4,
      () => now,
      async (ms) => {
        slept.push(ms);
      },
    );
    await Promise.all([limiter.take(), limiter.take(), limiter.take()]);
    expect(slept).toEqual([250, 500]);
    now += 2000; // idle: the next call goes at once, without a burst of saved-up calls behind it
    await limiter.take();
    await limiter.take();
    expect(slept).toEqual([250, 500, 250]);
    expect(() => new RateLimiter(0)).toThrow(RangeError);
  });
});
