import { ephemeralPorts } from '../../../src/dev/processes';

describe("the kernel's ephemeral ports", () => {
  it("reads Linux's setting", () => {
    expect(ephemeralPorts(() => '32768\t60999\n')).toEqual({ low: 32768, high: 60999 });
    expect(ephemeralPorts(() => '1024 65535')).toEqual({ low: 1024, high: 65535 });
  });

  it("falls back to Linux's default when the setting cannot be read or makes no sense", () => {
    const fallback = { low: 32768, high: 60999 };
    expect(
      ephemeralPorts(() => {
        throw new Error('ENOENT');
      }),
    ).toEqual(fallback);
    expect(ephemeralPorts(() => 'garbage')).toEqual(fallback);
    expect(ephemeralPorts(() => '61000 32768')).toEqual(fallback);
  });
});
