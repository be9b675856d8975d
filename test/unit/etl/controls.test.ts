import { etlSetProblem } from '../../../src/common/etl-controls';
import { toleranceExceeded } from '../../../src/common/etl-ledger';

describe('steering a fan-out', () => {
  it('accepts a change of any one setting and names what is wrong otherwise', () => {
    expect(etlSetProblem({ parallelism: 3 })).toBeUndefined();
    expect(etlSetProblem({ toleratedFailurePercent: 12.5, toleratedFailureCount: 0 })).toBeUndefined();
    expect(etlSetProblem({})).toMatch(/nothing to change/);
    expect(etlSetProblem({ parallelism: 0 })).toMatch(/parallelism must be a whole number from 1 to 1000, got 0/);
    expect(etlSetProblem({ parallelism: 2.5 })).toMatch(/parallelism/);
    expect(etlSetProblem({ toleratedFailurePercent: 101 })).toMatch(/toleratedFailurePercent must be .* 0 to 100/);
    expect(etlSetProblem({ toleratedFailureCount: -1 })).toMatch(/toleratedFailureCount must be a whole number ≥ 0/);
  });

  it('fails a run when either limit is exceeded', () => {
    expect(toleranceExceeded(2, 100, { toleratedFailurePercent: 5 }).exceeded).toBe(false);
    expect(toleranceExceeded(6, 100, { toleratedFailurePercent: 5 }).exceeded).toBe(true);
    expect(toleranceExceeded(3, 100, { toleratedFailurePercent: 5, toleratedFailureCount: 2 }).exceeded).toBe(true);
    expect(toleranceExceeded(2, 100, { toleratedFailurePercent: 100, toleratedFailureCount: 2 }).exceeded).toBe(false);
    expect(toleranceExceeded(1, 100, {}).exceeded).toBe(true);
  });
});
