import { decideKeda, initialKedaState, type KedaState } from '../../../src/scaling/keda';
import { signals } from './signals';
import { DEFAULT_POLICY } from '../../../src/scaling/policy';

const S = 1000;
const settings = { ...DEFAULT_POLICY, minTasks: 0, maxTasks: 20 };

describe('KEDA with the HPA', () => {
  test('activates from 0 to 1 on its polling interval, then the HPA scales by at most 4 pods or 100 % per 15 s', () => {
    let state: KedaState = initialKedaState(0);
    let desired = 0;
    const seen: number[] = [];
    for (let t = 0; t <= 60 * S; t += 5 * S) {
      const out = decideKeda(
        signals({ now: t, taskQueueBacklog: 100, desired, running: desired }),
        settings,
        state,
        'temporal',
      );
      state = out.state;
      if (out.decision.desired !== desired) seen.push(t / S, out.decision.desired);
      desired = out.decision.desired;
    }
    // t=0: KEDA activates to 1; the HPA's first sync: 1 → 5 (4 pods > 100 %); 15 s later 5 → 10 (100 %); then 20.
    expect(seen).toEqual([0, 1, 5, 5, 20, 10, 35, 20]);
  });

  test('the temporal trigger sees the backlog only: items in flight on SQS count for the aws-sqs-queue trigger', () => {
    const s = signals({ now: 0, taskQueueBacklog: 0, queueVisible: 2, queueInFlight: 18, desired: 2, running: 2 });
    const state = { ...initialKedaState(0), lastPollAt: 0 };
    expect(decideKeda({ ...s, now: 15 * S }, settings, state, 'aws-sqs-queue').decision.desired).toBe(4);
    expect(decideKeda({ ...s, now: 15 * S }, settings, state, 'temporal').decision.reason).toMatch(/metric 0/);
  });

  test('scale-down waits for the 300 s stabilisation window, and scale to zero for the cooldown period', () => {
    let state: KedaState = initialKedaState(0);
    let desired = 10;
    const changes: [number, number][] = [];
    for (let t = 0; t <= 700 * S; t += 5 * S) {
      const busy = t < 100 * S ? 50 : 0;
      const out = decideKeda(
        signals({ now: t, taskQueueBacklog: busy, desired, running: desired }),
        settings,
        state,
        'temporal',
      );
      state = out.state;
      if (out.decision.desired !== desired) changes.push([t / S, out.decision.desired]);
      desired = out.decision.desired;
    }
    // Active until the poll at 90 s. The HPA's recommendations of 1 from 100 s on are held by the 300 s window (the
    // 10 wanted before it), so nothing changes until KEDA's cooldown ends 300 s after the last active poll: 10 → 0.
    expect(changes).toEqual([[390, 0]]);
  });

  test('with no backlog, a fleet below minReplicaCount is raised to it at the next poll, and kept there', () => {
    const atMin = { ...settings, minTasks: 1 };
    const first = decideKeda(signals({ now: 0, desired: 0, running: 0 }), atMin, initialKedaState(0), 'temporal');
    expect(first.decision.desired).toBe(1);
    const later = decideKeda(signals({ now: 30 * S, desired: 1, running: 1 }), atMin, first.state, 'temporal');
    expect(later.decision.desired).toBe(1);
  });
});
