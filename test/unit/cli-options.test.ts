import { CommanderError, type Command } from 'commander';
import { buildProgram } from '../../src/cli/index';
import { commanderExitCode, duration, isoDate, numberFrom, wholeNumber, wholeRange } from '../../src/cli/options';

/** The subcommand at `path` of the real program, throwing instead of exiting and printing nothing. */
function command(...path: string[]): Command {
  let cmd = buildProgram();
  for (const name of path) {
    const next = cmd.commands.find((c) => c.name() === name);
    if (!next) throw new Error(`no command ${path.join(' ')}`);
    cmd = next;
  }
  return cmd.exitOverride().configureOutput({ writeErr: () => undefined, writeOut: () => undefined });
}

async function refusal(cmd: Command, args: string[]): Promise<CommanderError> {
  const err: unknown = await cmd.parseAsync(args, { from: 'user' }).then(
    () => undefined,
    (e: unknown) => e,
  );
  if (!(err instanceof CommanderError)) throw new Error(`expected a CommanderError, got ${String(err)}`);
  return err;
}

describe('option parsers', () => {
  it('accept whole numbers in range and refuse the rest, saying what was expected', () => {
    expect(wholeNumber(1, 20)('20')).toBe(20);
    for (const bad of ['0', '21', '2.5', 'abc', '', ' ']) {
      expect(() => wholeNumber(1, 20)(bad)).toThrow('expected a whole number from 1 to 20.');
    }
    expect(() => wholeNumber(1)('0')).toThrow('expected a whole number ≥ 1.');
  });

  it('accept fractions where a number is asked for', () => {
    expect(numberFrom(0, 100)('12.5')).toBe(12.5);
    expect(() => numberFrom(0, 100)('101')).toThrow('expected a number from 0 to 100.');
    expect(() => numberFrom(0)('-1')).toThrow('expected a number ≥ 0.');
  });

  it('refuse dates that are not on the calendar', () => {
    expect(isoDate('2028-02-29')).toBe('2028-02-29');
    for (const bad of ['2026-02-31', '2026-13-01', '2026-2-1', 'today']) {
      expect(() => isoDate(bad)).toThrow('expected a calendar date as YYYY-MM-DD.');
    }
  });

  it('read durations and ranges', () => {
    expect(duration(200)('2s')).toBe(2000);
    expect(() => duration(200)('100ms')).toThrow('expected at least 200ms.');
    expect(() => duration()('soon')).toThrow(/expected a duration/);
    expect(wholeRange('200-2000')).toEqual([200, 2000]);
    expect(() => wholeRange('2000-200')).toThrow(/first not above the second/);
  });
});

describe('the ebbflow program', () => {
  it('refuses an impossible date for an ETL run before the run starts, naming the option', async () => {
    const err = await refusal(command('etl', 'run'), ['--config', 'sources.yaml', '--date', '2026-02-31']);
    expect(err.code).toBe('commander.invalidArgument');
    expect(err.message).toContain("option '--date <YYYY-MM-DD>' argument '2026-02-31' is invalid");
    expect(commanderExitCode(err)).toBe(2);
  });

  it('lists the allowed overlap policies', async () => {
    const err = await refusal(command('schedule', 'trigger'), ['daily-sales', '--overlap', 'SOMETIMES']);
    expect(err.message).toMatch(/Allowed choices are SKIP, BUFFER_ONE, .*ALLOW_ALL/);
    expect(commanderExitCode(err)).toBe(2);
  });

  it('keeps commander’s own exit codes for help and for unknown options', async () => {
    expect(commanderExitCode(await refusal(command('etl', 'generate'), ['--help']))).toBe(0);
    expect(commanderExitCode(await refusal(command('etl', 'generate'), ['--colour', 'red']))).toBe(1);
  });
});
