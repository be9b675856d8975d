import { CommanderError, type Command } from 'commander';
import { buildProgram } from '../../src/cli/index';
import {
  commanderExitCode,
  duration,
  instant,
  isoDate,
  numberFrom,
  timeOrSpanAgo,
  wholeNumber,
  wholeRange,
} from '../../src/cli/options';
import { runCli } from '../support/cli';

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

  it('read times as ISO or a span ago, and refuse what is neither', () => {
    expect(instant('2026-12-05T09:00:00Z').toISOString()).toBe('2026-12-05T09:00:00.000Z');
    for (const bad of ['yesterday', '', '2026-13-45T00:00:00Z']) {
      expect(() => instant(bad)).toThrow('expected a time such as 2026-12-05T09:00:00Z.');
    }
    const before = Date.now();
    const ago = timeOrSpanAgo('2h').getTime();
    const after = Date.now();
    // Two hours before the moment of the call, which lies between the two readings of the clock.
    expect(ago).toBeGreaterThanOrEqual(before - 2 * 3_600_000);
    expect(ago).toBeLessThanOrEqual(after - 2 * 3_600_000);
    expect(timeOrSpanAgo('2026-12-05').toISOString()).toBe('2026-12-05T00:00:00.000Z');
    expect(() => timeOrSpanAgo('last week')).toThrow(/expected a time such as .* or a span ago such as 2h or 7d/);
  });
});

describe('the ebbflow program', () => {
  it('refuses an impossible date for an ETL run before the run starts, naming the option', async () => {
    const err = await refusal(command('etl', 'run'), ['--config', 'sources.yaml', '--date', '2026-02-31']);
    expect(err.code).toBe('commander.invalidArgument');
    expect(err.message).toContain("option '--date <YYYY-MM-DD>' argument '2026-02-31' is invalid");
    expect(commanderExitCode(err)).toBe(2);
  });

  it('reads a tolerated failure count for an ETL run, leaving the percentage unset', async () => {
    const cmd = command('etl', 'run').action(() => undefined);
    await cmd.parseAsync(['--config', 'sources.yaml', '--tolerated-failure-count', '3'], { from: 'user' });
    expect(cmd.opts()).toMatchObject({ toleratedFailureCount: 3 });
    expect(cmd.opts().toleratedFailurePercent).toBeUndefined();
  });

  it('refuses a tolerated failure count that is not a whole number ≥ 0, naming the option', async () => {
    for (const bad of ['-1', '2.5', 'some']) {
      const err = await refusal(command('etl', 'run'), ['--config', 'sources.yaml', '--tolerated-failure-count', bad]);
      expect(err.message).toContain(`option '--tolerated-failure-count <n>' argument '${bad}' is invalid`);
      expect(err.message).toContain('expected a whole number ≥ 0.');
      expect(commanderExitCode(err)).toBe(2);
    }
  });

  it('refuses bad counts and ports of dlq, dev and backfill before they run, naming the option', async () => {
    const max = await refusal(command('dlq', 'list'), ['--max', '0']);
    expect(max.message).toContain("option '--max <n>' argument '0' is invalid. expected a whole number ≥ 1.");
    const workers = await refusal(command('dev'), ['--workers', 'two']);
    expect(workers.message).toContain("option '--workers <n>' argument 'two' is invalid");
    const port = await refusal(command('dev'), ['--ui-port', '70000']);
    expect(port.message).toContain(
      "option '--ui-port <port>' argument '70000' is invalid. expected a whole number from 1 to 65535.",
    );
    const concurrency = await refusal(command('backfill'), ['s3://in/photos', '--concurrency', '300']);
    expect(concurrency.message).toContain(
      "option '--concurrency <n>' argument '300' is invalid. expected a whole number from 1 to 256.",
    );
    for (const err of [max, workers, port, concurrency]) expect(commanderExitCode(err)).toBe(2);
  });

  it('refuses bad values for etl set, runs and backfill times before anything runs, naming the option', async () => {
    const parallelism = await refusal(command('etl', 'set'), ['etl-1', '--parallelism', '0']);
    expect(parallelism.message).toContain(
      "option '--parallelism <n>' argument '0' is invalid. expected a whole number from 1 to 1000.",
    );
    const percent = await refusal(command('etl', 'set'), ['etl-1', '--tolerated-failure-percent', '120']);
    expect(percent.message).toContain('expected a number from 0 to 100.');
    const since = await refusal(command('runs', 'list'), ['--since', 'last week']);
    expect(since.message).toContain("option '--since <time>' argument 'last week' is invalid");
    const before = await refusal(command('backfill'), ['s3://in/photos', '--reprocess', '--reprocess-before', 'soon']);
    expect(before.message).toContain(
      "option '--reprocess-before <time>' argument 'soon' is invalid. expected a time such as 2026-12-05T09:00:00Z.",
    );
    for (const err of [parallelism, percent, since, before]) expect(commanderExitCode(err)).toBe(2);
  });

  it('reads simulate’s rates, durations and policy lists as values', async () => {
    const cmd = command('simulate').action(() => undefined);
    await cmd.parseAsync(['--rate', '300/h', '--rates', '1/s,6/min', '--period', '5m', '--compare', 'ebbflow,keda'], {
      from: 'user',
    });
    expect(cmd.opts()).toMatchObject({
      rate: 5,
      rates: [60, 6],
      period: 300_000,
      duration: 3_600_000,
      compare: ['ebbflow', 'keda'],
      workload: 'burst',
      seed: 1,
    });
  });

  it('refuses simulate values it cannot use, naming the option', async () => {
    const rate = await refusal(command('simulate'), ['--rate', 'fast']);
    expect(rate.message).toContain("option '--rate <rate>' argument 'fast' is invalid. expected a rate such as 5/min");
    const compare = await refusal(command('simulate'), ['--compare', 'ebbflow,hpa']);
    expect(compare.message).toContain(`argument 'ebbflow,hpa' is invalid. unknown policy "hpa"`);
    const workload = await refusal(command('simulate'), ['--workload', 'spiky']);
    expect(workload.message).toMatch(/'--workload <kind>' argument 'spiky' is invalid. Allowed choices are burst, /);
    const pricing = await refusal(command('cost'), ['--pricing', 'reserved']);
    expect(pricing.message).toMatch(/Allowed choices are on-demand, arm, spot/);
    for (const err of [rate, compare, workload, pricing]) expect(commanderExitCode(err)).toBe(2);
  });

  it('lists the allowed overlap policies', async () => {
    const err = await refusal(command('schedule', 'trigger'), ['daily-sales', '--overlap', 'SOMETIMES']);
    expect(err.message).toMatch(
      /Allowed choices are SKIP, BUFFER_ONE, BUFFER_ALL, CANCEL_OTHER, TERMINATE_OTHER, ALLOW_ALL\.$/,
    );
    expect(commanderExitCode(err)).toBe(2);
    for (const name of ['create', 'trigger', 'backfill']) {
      const unspecified = await refusal(command('schedule', name), ['daily-sales', '--overlap', 'UNSPECIFIED']);
      expect(unspecified.message).toContain("argument 'UNSPECIFIED' is invalid");
    }
  });

  it.each([
    [['runs', 'list', '--max', '-1'], "option '--max <n>' argument '-1' is invalid. expected a whole number ≥ 0."],
    [
      ['runs', 'list', '--status', 'bogus'],
      "option '--status <status>' argument 'bogus' is invalid. expected one of running,",
    ],
    [
      ['runs', 'cancel', '--rate', 'fast', '--workflow', 'x'],
      "option '--rate <rate>' argument 'fast' is invalid. expected a rate above 0 such as 50/s or 600/min.",
    ],
    [['backfill', 's3://b/p', '--rate', 'fast'], "option '--rate <rate>' argument 'fast' is invalid. expected a rate"],
    [['runs', 'list', '--since', '2h', '--until', '3h'], 'is not before --until ('],
    [
      ['runs', 'terminate', '--since', '2026-12-05T10:00:00Z', '--until', '2026-12-05T10:00:00Z'],
      'ebbflow: --since (2026-12-05T10:00:00.000Z) is not before --until (2026-12-05T10:00:00.000Z): no run starts',
    ],
    [
      ['simulate', '--min', '5', '--max', '2'],
      'ebbflow: --min 5 is above --max 2: the fewest tasks cannot exceed the most',
    ],
    [
      ['simulate', '--workload', 'csv', '--csv', '/nonexistent/arrivals.csv'],
      'ebbflow: --csv /nonexistent/arrivals.csv: no such file or folder',
    ],
    [['simulate', '--workload', 'csv', '--csv', 'test'], 'ebbflow: --csv test: it is a folder, not a file'],
    [
      ['simulate', '--workload', 'csv', '--csv', 'package.json'],
      // Its first line is taken for a header; the second is the first arrival.
      'ebbflow: --csv package.json: line 2: ""name": "ebbflow"" is neither seconds nor an ISO timestamp',
    ],
    [['etl', 'run', '--config', 'docs'], 'ebbflow: --config docs: it is a folder, not a file'],
    [
      ['cost', '--vcpu', '3'],
      'ebbflow: --vcpu 3 --memory 1: Fargate has no task of 3 vCPU: it offers 0.25, 0.5, 1, 2, 4, 8 or 16 vCPU',
    ],
    [
      ['simulate', '--vcpu', '1', '--memory', '1'],
      'ebbflow: --vcpu 1 --memory 1: Fargate has no task of 1 vCPU with 1 GB: with 1 vCPU it offers 2 to 8 GB in steps of 1 GB',
    ],
  ])('refuses `ebbflow %j` with exit 2 and one line naming the option, no stack', async (args, refusal) => {
    const { code, stderr } = await runCli({}, ...args);
    expect(code).toBe(2);
    const errors = stderr.split('\n').filter((line) => /^(error|ebbflow):/.test(line));
    expect(errors).toHaveLength(1);
    expect(errors[0]).toContain(refusal);
    expect(stderr).not.toMatch(/^ {4}at /m);
  });

  it('keeps commander’s own exit codes for help and for unknown options', async () => {
    expect(commanderExitCode(await refusal(command('etl', 'generate'), ['--help']))).toBe(0);
    expect(commanderExitCode(await refusal(command('etl', 'generate'), ['--colour', 'red']))).toBe(1);
  });
});
