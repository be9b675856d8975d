import { localWorkersFor } from '../../../src/dev/fleet';

describe('local fleet size', () => {
  test('one worker per activity slots worth of cores: a 2-core laptop runs one worker of 4 slots', () => {
    expect(localWorkersFor(2, 4)).toBe(1);
    expect(localWorkersFor(4, 4)).toBe(1);
    expect(localWorkersFor(8, 4)).toBe(2);
    expect(localWorkersFor(10, 4)).toBe(3);
  });

  test('never fewer than one worker, whatever the slots', () => {
    expect(localWorkersFor(1, 16)).toBe(1);
    expect(localWorkersFor(0, 4)).toBe(1);
    expect(localWorkersFor(4, 0)).toBe(4);
  });
});
