import { loadConfig } from '../../../src/config';
import { stopGraceFor } from '../../../src/dev/stack';
import { gracesFor } from '../../../src/scaler/grace';

describe("the stack's stop grace for ebbflow's processes", () => {
  const config = (env: Record<string, string> = {}) => loadConfig(env, { useDevState: false });

  it('outlasts the scaler draining a busy worker: by default 2 min activity timeout + 5 s + 15 s, and 15 s to exit', () => {
    expect(stopGraceFor(config())).toBe(155_000);
    expect(stopGraceFor(config())).toBeGreaterThan(gracesFor(config()).drainGrace);
  });

  it('follows a longer activity timeout or drain grace', () => {
    expect(stopGraceFor(config({ EBBFLOW_IMAGE_ACTIVITY_TIMEOUT: '10m' }))).toBe(600_000 + 5_000 + 15_000 + 15_000);
    expect(stopGraceFor(config({ EBBFLOW_SCALER_DRAIN_GRACE: '5m' }))).toBe(300_000 + 15_000);
  });
});
