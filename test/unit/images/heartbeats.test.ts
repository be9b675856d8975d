import { heartbeatWhenLong } from '../../../activities/images';

describe('resizeImage heartbeats', () => {
  beforeEach(() => jest.useFakeTimers({ now: 0 }));
  afterEach(() => jest.useRealTimers());

  function target(heartbeatTimeoutMs?: number) {
    const beats: unknown[] = [];
    return { beats, ctx: { info: { heartbeatTimeoutMs }, heartbeat: (d?: unknown) => beats.push(d) } };
  }

  test('an attempt that ends within the first interval never heartbeats', () => {
    const { beats, ctx } = target(30_000);
    const h = heartbeatWhenLong(ctx);
    h.step('download');
    jest.advanceTimersByTime(4_999);
    h.step('large');
    h.stop();
    jest.advanceTimersByTime(60_000);
    expect(beats).toEqual([]);
  });

  test('one long step keeps heartbeating with its name, every 5 s under a 30 s timeout', () => {
    const { beats, ctx } = target(30_000);
    const h = heartbeatWhenLong(ctx);
    h.step('decode');
    // A single libvips call of 40 s: longer than the heartbeat timeout, with no step in between.
    jest.advanceTimersByTime(40_000);
    expect(beats).toEqual(Array.from({ length: 8 }, () => 'decode'));
    h.step('upload large');
    expect(beats.at(-1)).toBe('upload large');
    h.stop();
    jest.advanceTimersByTime(60_000);
    expect(beats).toHaveLength(9);
  });

  test('a short heartbeat timeout beats at a quarter of it', () => {
    const { beats, ctx } = target(2_000);
    const h = heartbeatWhenLong(ctx);
    h.step('download');
    jest.advanceTimersByTime(2_000);
    h.stop();
    expect(beats).toEqual(['download', 'download', 'download', 'download']);
  });
});

test('a local attempt never heartbeats: its worker extends the workflow task instead', () => {
  jest.useFakeTimers({ now: 0 });
  try {
    const beats: unknown[] = [];
    const h = heartbeatWhenLong({ info: { isLocal: true }, heartbeat: (d?: unknown) => beats.push(d) });
    h.step('decode');
    jest.advanceTimersByTime(60_000);
    h.step('upload large');
    h.stop();
    expect(beats).toEqual([]);
  } finally {
    jest.useRealTimers();
  }
});
