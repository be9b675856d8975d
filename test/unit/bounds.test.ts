import { wholeNumberProblem } from '../../src/common/bounds';

describe('wholeNumberProblem', () => {
  it('accepts whole numbers within the range, ends included', () => {
    expect([1, 7, 20].map((v) => wholeNumberProblem(v, 1, 20, 'maxAttempts'))).toEqual([
      undefined,
      undefined,
      undefined,
    ]);
  });

  it('names the value and the range for anything else', () => {
    expect(wholeNumberProblem(2.5, 1, 20, 'maxAttempts')).toBe(
      'maxAttempts must be a whole number from 1 to 20, got 2.5',
    );
    expect(wholeNumberProblem(0, 1, 20, 'maxAttempts')).toBe('maxAttempts must be a whole number from 1 to 20, got 0');
    expect(wholeNumberProblem(NaN, 1, 20, 'n')).toBe('n must be a whole number from 1 to 20, got NaN');
    expect(wholeNumberProblem('3', 1, 20, 'n')).toBe('n must be a whole number from 1 to 20, got "3"');
  });
});
