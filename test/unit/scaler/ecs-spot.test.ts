import { billedAsSpot } from '../../../src/scaler/ecs';

describe('a service on Fargate Spot', () => {
  it.each([
    ['a launch type, no strategy', undefined, false],
    ['all on FARGATE_SPOT', [{ capacityProvider: 'FARGATE_SPOT', weight: 1 }], true],
    ['all on FARGATE', [{ capacityProvider: 'FARGATE', weight: 1 }], false],
    [
      'Spot, with an unused FARGATE entry',
      [
        { capacityProvider: 'FARGATE', weight: 0, base: 0 },
        { capacityProvider: 'FARGATE_SPOT', weight: 3 },
      ],
      true,
    ],
    [
      'mixed: priced on-demand, an upper bound',
      [
        { capacityProvider: 'FARGATE', base: 1, weight: 1 },
        { capacityProvider: 'FARGATE_SPOT', weight: 4 },
      ],
      false,
    ],
  ])('%s', (_name, capacityProviderStrategy, spot) => {
    expect(billedAsSpot({ capacityProviderStrategy })).toBe(spot);
  });
});
