/**
 * Parsers for command-line option values, given to commander as `.option(flags, description, parser, default)`.
 * Each throws commander's InvalidArgumentError, so a bad value is refused before the command runs, with the option
 * named; a fixed set of values is an `Option` with `.choices()` instead (see `choiceOption`).
 */
import { InvalidArgumentError, Option, type CommanderError } from 'commander';
import { isIsoDate } from '../common/report-dates';
import { parseDuration } from '../config';
import { parseRate } from '../pipeline/backfill';
import { parseTime } from '../pipeline/runs';

/** A whole number from `min` to `max`. */
export function wholeNumber(min: number, max = Number.MAX_SAFE_INTEGER): (raw: string) => number {
  return (raw) => {
    const value = Number(raw);
    if (raw.trim() === '' || !Number.isInteger(value) || value < min || value > max) {
      const range = max === Number.MAX_SAFE_INTEGER ? `≥ ${min}` : `from ${min} to ${max}`;
      throw new InvalidArgumentError(`expected a whole number ${range}.`);
    }
    return value;
  };
}

/** Any number from `min` to `max`, fractions included. */
export function numberFrom(min: number, max = Number.MAX_VALUE): (raw: string) => number {
  return (raw) => {
    const value = Number(raw);
    if (raw.trim() === '' || !Number.isFinite(value) || value < min || value > max) {
      const range = max === Number.MAX_VALUE ? `≥ ${min}` : `from ${min} to ${max}`;
      throw new InvalidArgumentError(`expected a number ${range}.`);
    }
    return value;
  };
}

/** A real calendar date written YYYY-MM-DD (2026-02-31 is refused). */
export function isoDate(raw: string): string {
  if (!isIsoDate(raw)) throw new InvalidArgumentError('expected a calendar date as YYYY-MM-DD.');
  return raw;
}

/**
 * A parser of the domain as an option parser: what it refuses becomes commander's InvalidArgumentError, which
 * commander prints with the option named and ebbflow exits 2 on; anything else it throws would escape as a crash.
 */
export function optionValue<T>(parse: (raw: string) => T): (raw: string) => T {
  return (raw) => {
    try {
      return parse(raw);
    } catch (err) {
      throw new InvalidArgumentError(`${(err as Error).message}.`);
    }
  };
}

/** A time: ISO (`2026-12-05T09:00:00Z`, `2026-12-05`) or a span ago (`30m`, `2h`, `7d`). */
export const timeOrSpanAgo: (raw: string) => Date = optionValue((raw) => parseTime(raw));

/** A rate of starts, as so many a second: `50/s`, `50`, `600/min`. */
export const perSecond: (raw: string) => number = optionValue(parseRate);

/** An instant written as an ISO time, such as `2026-12-05T09:00:00Z`. */
export function instant(raw: string): Date {
  const date = new Date(raw);
  if (raw.trim() === '' || Number.isNaN(date.getTime())) {
    throw new InvalidArgumentError('expected a time such as 2026-12-05T09:00:00Z.');
  }
  return date;
}

/** A duration as the configuration writes it (`500ms`, `30s`, `5m`, `1h`), in milliseconds, at least `minMs`. */
export function duration(minMs = 0): (raw: string) => number {
  const parse = optionValue(parseDuration);
  return (raw) => {
    const ms = parse(raw);
    if (ms < minMs) throw new InvalidArgumentError(`expected at least ${minMs}ms.`);
    return ms;
  };
}

/** Two whole numbers written `low-high`, low not above high. */
export function wholeRange(raw: string): [number, number] {
  const match = /^(\d+)-(\d+)$/.exec(raw);
  if (!match || Number(match[1]) > Number(match[2])) {
    throw new InvalidArgumentError('expected two whole numbers such as 200-2000, the first not above the second.');
  }
  return [Number(match[1]), Number(match[2])];
}

/** An option that accepts only `values`; help lists them. */
export function choiceOption(flags: string, description: string, values: readonly string[], def?: string): Option {
  const option = new Option(flags, description).choices(values);
  return def === undefined ? option : option.default(def);
}

/**
 * The exit code for a command line commander refused: 2 for a bad option value, as for every other usage error of
 * ebbflow; commander's own code otherwise (0 after --help or --version).
 */
export function commanderExitCode(err: CommanderError): number {
  return err.code === 'commander.invalidArgument' ? 2 : err.exitCode;
}
