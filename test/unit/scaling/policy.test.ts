import {
  DEFAULT_POLICY,
  decide,
  initialPolicyState,
  type PolicySettings,
  type PolicyState,
  type ScalingDecision,
} from '../../../src/scaling/policy';
import { signals } from './signals';
import { SCALING_POLICY_NAMES } from '../../../src/scaling/names';
import { createScalingPolicy } from '../../../src/scaling/policies';

const S = 1000;
const MIN = 60 * S;

/** Feeds a backlog timeline through the policy, applying each decision at once (running = desired). */
function replay(
  timeline: { at: number; backlog: number }[],
  settings: PolicySettings,
  start: number,
  state: PolicyState = initialPolicyState(),
): ScalingDecision[] {
  let desired = start;
  const decisions: ScalingDecision[] = [];
  for (const { at, backlog } of timeline) {
    const out = decide(signals({ now: at, queueVisible: backlog, desired, running: desired }), settings, state);
    state = out.state;
    desired = out.decision.desired;
    decisions.push(out.decision);
  }
  return decisions;
}

const article: PolicySettings = { ...DEFAULT_POLICY, minTasks: 1, maxTasks: 10 };
const zero: PolicySettings = { ...DEFAULT_POLICY, minTasks: 0, maxTasks: 10 };

describe('scaling policy: the article’s four scenarios (target 5, 1–10 tasks)', () => {
  test('steady: 5 messages on 1 task takes no action', () => {
    const { decision } = decide(signals({ queueVisible: 5 }), article, initialPolicyState());
    expect(decision.direction).toBe('none');
    expect(decision.desired).toBe(1);
    expect(decision.backlogPerTask).toBe(5);
  });

  test('spike: 100 messages on 1 task scales to the max of 10 and says why', () => {
    const { decision } = decide(signals({ now: 5 * S, queueVisible: 100 }), article, initialPolicyState());
    expect(decision.direction).toBe('out');
    expect(decision.desired).toBe(10);
    expect(decision.reason).toContain('backlog 100 over 1 task, target 5 → 20, capped at max 10');
  });

  test('a fleet above the max (lowered since, or resized by hand) goes back to it at once, whatever waits', () => {
    const state: PolicyState = { ...initialPolicyState(), since: 0, lastScaleOutAt: 0 };
    for (const queueVisible of [500, 15, 0]) {
      const { decision } = decide(signals({ now: 10 * S, queueVisible, desired: 20, running: 20 }), article, state);
      expect(decision.direction).toBe('in');
      expect(decision.desired).toBe(10);
      expect(decision.reason).toContain('above max 10, scale in 20 → 10');
    }
  });

  test('empty queue: 10 tasks scale in to the min only once the scale-in cooldown has passed', () => {
    let state: PolicyState = { ...initialPolicyState(), lastScaleOutAt: 0 };
    const at = (t: number) => decide(signals({ now: t, desired: 10, running: 10 }), article, state);
    for (const t of [30 * S, 2 * MIN, 4 * MIN, 299 * S]) {
      const out = at(t);
      expect(out.decision.direction).toBe('none');
      expect(out.decision.reason).toContain('scale-in held');
      state = out.state;
    }
    const out = at(300 * S);
    expect(out.decision.direction).toBe('in');
    expect(out.decision.desired).toBe(1);
  });

  test('gradual: 5 → 25 messages over 10 minutes takes 1 task to 5 step by step', () => {
    const timeline = Array.from({ length: 21 }, (_, i) => ({ at: i * 30 * S, backlog: 5 + i }));
    const decisions = replay(timeline, article, 1);
    const outs = decisions.filter((d) => d.direction === 'out');
    expect(decisions.at(-1)?.desired).toBe(5);
    expect(decisions.some((d) => d.direction === 'in')).toBe(false);
    // Gradual: one step at a time, never beyond what the backlog asks for.
    expect(outs.map((d) => d.desired)).toEqual([2, 3, 4, 5]);
    for (const d of decisions) expect(d.desired).toBeLessThanOrEqual(Math.max(1, Math.ceil(d.backlog / 5)));
  });
});

describe('scaling policy: min 0', () => {
  test('the first message scales 0 → 1 at once, even right after a scale-in', () => {
    const state: PolicyState = { ...initialPolicyState(), lastScaleInAt: 0 };
    const { decision } = decide(signals({ now: 1 * S, queueVisible: 1, desired: 0, running: 0 }), zero, state);
    expect(decision.direction).toBe('out');
    expect(decision.desired).toBe(1);
    expect(decision.reason).toContain('backlog 1 over 0 tasks');
  });

  test('a workflow started while no task runs scales 0 → 1 before the task queue statistics count it', () => {
    const state: PolicyState = { ...initialPolicyState(), lastScaleInAt: 0 };
    const { decision } = decide(signals({ now: 1 * S, recentStarts: 1, desired: 0, running: 0 }), zero, state);
    expect(decision.direction).toBe('out');
    expect(decision.desired).toBe(1);
    expect(decision.reason).toContain('1 workflow just started, no task runs');
    // Once a task runs, recent starts are its work, not a backlog: the statistics decide again.
    const running = decide(signals({ now: 2 * S, recentStarts: 12, desired: 1, running: 1 }), zero, state);
    expect(running.decision.desired).toBe(1);
    expect(running.decision.backlog).toBe(0);
  });

  test('an empty queue returns to 0 after the cooldown, not before', () => {
    const timeline = [
      { at: 0, backlog: 3 },
      { at: 10 * S, backlog: 0 },
      { at: 200 * S, backlog: 0 },
      { at: 299 * S, backlog: 0 },
      { at: 300 * S, backlog: 0 },
    ];
    const decisions = replay(timeline, zero, 0);
    expect(decisions.map((d) => d.desired)).toEqual([1, 1, 1, 1, 0]);
  });
});

describe('scaling policy: no flapping', () => {
  test('alternating 2/min ↔ 20/min every 3 minutes: no reversal of direction inside a cooldown', () => {
    const settings: PolicySettings = { ...DEFAULT_POLICY, minTasks: 1, maxTasks: 10 };
    // Backlog seen every 5 s: low phase ~2 waiting, high phase ~20 waiting, with some ripple.
    const timeline = Array.from({ length: (60 * MIN) / (5 * S) }, (_, i) => {
      const at = i * 5 * S;
      const high = Math.floor(at / (3 * MIN)) % 2 === 1;
      return { at, backlog: high ? 18 + (i % 5) : i % 3 };
    });
    const changes = replay(timeline, settings, 1).filter((d) => d.direction !== 'none');
    expect(changes.length).toBeGreaterThan(0);
    let reversals = 0;
    for (let i = 1; i < changes.length; i++) {
      const [a, b] = [changes[i - 1]!, changes[i]!];
      if (a.direction === b.direction) continue;
      reversals++;
      const cooldown = b.direction === 'in' ? settings.scaleInCooldown : settings.scaleOutCooldown;
      expect(b.at - a.at).toBeGreaterThanOrEqual(cooldown);
    }
    // Phases of 3 minutes are shorter than the 5-minute scale-in cooldown: the fleet holds its size.
    expect(reversals).toBe(0);
  });

  test('a scale-in goes only down to the highest recommendation of the last cooldown', () => {
    const settings: PolicySettings = { ...DEFAULT_POLICY, minTasks: 0, scaleInCooldown: 100 * S };
    const timeline = [
      { at: 0, backlog: 50 },
      { at: 50 * S, backlog: 30 },
      { at: 120 * S, backlog: 0 },
    ];
    const decisions = replay(timeline, settings, 0);
    expect(decisions[2]?.direction).toBe('in');
    expect(decisions[2]?.desired).toBe(6);
    expect(decisions[2]?.reason).toContain('kept at 6');
  });
});

describe('scaling policy: options', () => {
  test('maxStep caps the change of one decision', () => {
    const { decision } = decide(signals({ queueVisible: 100 }), { ...article, maxStep: 3 }, initialPolicyState());
    expect(decision.desired).toBe(4);
    expect(decision.reason).toContain('step capped at 3');
  });

  test('the backlog-age objective adds a task when old work waits, even at target', () => {
    const settings = { ...article, maxBacklogAge: 30 * S };
    const { decision } = decide(
      signals({ taskQueueBacklog: 5, taskQueueBacklogAge: 45 * S }),
      settings,
      initialPolicyState(),
    );
    expect(decision.direction).toBe('out');
    expect(decision.desired).toBe(2);
    expect(decision.reason).toContain('oldest work waited 45s > 30s');
  });

  test('a burst right after a scale-out gets its capacity at once: the count is absolute', () => {
    // A trickle took the fleet 0 → 1; 20 s later, while that task may still be starting, 100 more arrive.
    const first = decide(signals({ now: 0, queueVisible: 1, desired: 0, running: 0 }), zero, initialPolicyState());
    expect(first.decision.desired).toBe(1);
    const burst = decide(signals({ now: 20 * S, queueVisible: 101, desired: 1, running: 0 }), zero, first.state);
    expect(burst.decision.direction).toBe('out');
    expect(burst.decision.desired).toBe(10);
    // And nothing piles up: the same backlog a poll later asks for the same fleet.
    const again = decide(signals({ now: 25 * S, queueVisible: 101, desired: 10, running: 1 }), zero, burst.state);
    expect(again.decision.direction).toBe('none');
    expect(again.decision.desired).toBe(10);
  });

  test('a step after one cut by maxStep waits for the scale-out cooldown', () => {
    const settings = { ...article, maxStep: 3 };
    const first = decide(signals({ now: 0, queueVisible: 40, desired: 2, running: 2 }), settings, initialPolicyState());
    expect(first.decision.desired).toBe(5);
    const held = decide(signals({ now: 30 * S, queueVisible: 40, desired: 5, running: 2 }), settings, first.state);
    expect(held.decision.direction).toBe('none');
    expect(held.decision.reason).toContain('scale-out held: cooldown 30s left after the last step');
    const next = decide(signals({ now: 60 * S, queueVisible: 40, desired: 5, running: 5 }), settings, held.state);
    expect(next.decision.desired).toBe(8);
  });

  test('the backlog-age objective adds one task per scale-out cooldown, not one per poll', () => {
    const settings = { ...article, maxBacklogAge: 30 * S };
    const old = { taskQueueBacklog: 5, taskQueueBacklogAge: 45 * S };
    const first = decide(signals({ now: 0, ...old }), settings, initialPolicyState());
    expect(first.decision.desired).toBe(2);
    const held = decide(signals({ now: 5 * S, ...old, desired: 2, running: 1 }), settings, first.state);
    expect(held.decision.direction).toBe('none');
    expect(held.decision.reason).toContain('cooldown 55s left after the last step');
    const next = decide(signals({ now: 60 * S, ...old, desired: 2, running: 2 }), settings, held.state);
    expect(next.decision.desired).toBe(3);
  });

  test('a scale-out right after a scale-in waits for the scale-out cooldown', () => {
    const state: PolicyState = { ...initialPolicyState(), lastScaleInAt: 0 };
    const held = decide(signals({ now: 30 * S, queueVisible: 40, desired: 2, running: 2 }), article, state);
    expect(held.decision.direction).toBe('none');
    expect(held.decision.reason).toContain('scale-out held: cooldown 30s left after the scale-in');
    const done = decide(signals({ now: 60 * S, queueVisible: 40, desired: 2, running: 2 }), article, state);
    expect(done.decision.desired).toBe(8);
  });

  test('a scaler that just started waits a cooldown before scaling in', () => {
    const { decision } = decide(signals({ now: 10 * S, desired: 4, running: 4 }), article, initialPolicyState(0));
    expect(decision.direction).toBe('none');
  });

  test('same inputs, same decision', () => {
    const a = replay([{ at: 0, backlog: 37 }], article, 1);
    const b = replay([{ at: 0, backlog: 37 }], article, 1);
    expect(a).toEqual(b);
  });
});

describe('scaling policy: scale-in that would only slow the tail', () => {
  test('a scale-in keeps one task per waiting item', () => {
    const state: PolicyState = { ...initialPolicyState(), lastScaleOutAt: 0 };
    const busy = decide(signals({ now: 600 * S, queueVisible: 12, desired: 10, running: 10 }), article, state);
    expect(busy.decision.direction).toBe('none');
    expect(busy.decision.reason).toContain('12 waiting keep all 10 tasks busy');
    const fewer = decide(signals({ now: 600 * S, queueVisible: 8, desired: 10, running: 10 }), article, state);
    expect(fewer.decision.direction).toBe('in');
    expect(fewer.decision.desired).toBe(8);
    expect(fewer.decision.reason).toContain('kept at 8, one per waiting item');
  });
});

describe('scale-in and running activities', () => {
  test('short items that drained between polls: tasks running activities are kept', () => {
    // Five tasks, nothing waiting, three of them in the middle of an activity: the scale-in stops at three.
    const since = initialPolicyState(0);
    const { decision } = decide(
      signals({ now: 10 * MIN, desired: 5, running: 5, busyTasks: 3, runningActivities: 4 }),
      zero,
      since,
    );
    expect(decision.direction).toBe('in');
    expect(decision.desired).toBe(3);
    expect(decision.reason).toMatch(/kept at 3, the tasks running activities/);
  });

  test('every task busy: no scale-in at all, and the reason says so', () => {
    const { decision } = decide(signals({ now: 10 * MIN, desired: 4, running: 4, busyTasks: 4 }), zero, {
      recommendations: [],
    });
    expect(decision.direction).toBe('none');
    expect(decision.desired).toBe(4);
    expect(decision.reason).toMatch(/all 4 tasks are running activities/);
  });

  test('without a busy count (a driver that cannot tell) the scale-in goes to the backlog as before', () => {
    const { decision } = decide(signals({ now: 10 * MIN, desired: 4, running: 4 }), zero, { recommendations: [] });
    expect(decision.desired).toBe(0);
  });
});

describe('missing task-queue statistics', () => {
  test.each(SCALING_POLICY_NAMES)('%s keeps the fleet instead of reading them as an empty queue', (name) => {
    const policy = createScalingPolicy(name, zero, { startedAt: 0 });
    // Feed the policy long enough for every policy's own rules (AWS needs 15 datapoints) to want a scale-in.
    let last: ScalingDecision | undefined;
    for (let t = 0; t <= 20 * MIN; t += 5 * S) {
      const out = policy.decide(signals({ now: t, desired: 3, running: 3, taskQueueStatsMissing: true }));
      out.commit();
      last = out.decision;
      expect(out.decision.desired).toBe(3);
    }
    expect(last!.reason).toMatch(/statistics are missing/);
  });

  test('a scale-out on the ingress queue still goes through', () => {
    const policy = createScalingPolicy('ebbflow', zero, { startedAt: 0 });
    const out = policy.decide(
      signals({ now: 0, queueVisible: 20, desired: 1, running: 1, taskQueueStatsMissing: true }),
    );
    expect(out.decision.desired).toBe(4);
  });
});
