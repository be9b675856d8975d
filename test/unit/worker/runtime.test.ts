import { LogTimestamp } from '@temporalio/worker';
import { createLogger } from '../../../src/logger';
import { sdkLogFields } from '../../../src/worker/runtime';

describe('SDK log lines', () => {
  it('carry the moment the SDK logged them, not the moment they reach the logger', () => {
    const lines: string[] = [];
    const logger = createLogger({ sink: (line) => lines.push(line) });
    const loggedAt = Date.parse('2026-03-01T08:30:00.250Z');
    logger.info(
      'Worker state changed',
      sdkLogFields({ [LogTimestamp]: BigInt(loggedAt) * 1_000_000n + 999n, state: 'RUNNING' }),
    );
    expect(JSON.parse(lines[0]!)).toEqual({
      time: '2026-03-01T08:30:00.250Z',
      level: 'info',
      msg: 'Worker state changed',
      state: 'RUNNING',
    });
  });

  it('keep the logger’s own time when the SDK gives none', () => {
    expect(sdkLogFields({ sdkComponent: 'worker' })).toEqual({ sdkComponent: 'worker' });
    expect(sdkLogFields(undefined)).toBeUndefined();
  });
});
