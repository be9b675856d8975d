/**
 * A standby worker (`ebbflow worker --standby`): the local scaler keeps one booted, so that scaling from zero costs a
 * message rather than a start-up. It does everything a worker does before its first poll (loads the code, connects,
 * builds the workflow bundle's isolates, runs the image code once, reaches its buckets) and then waits, polling
 * nothing, until its parent tells it to run. The two talk over the IPC channel Node opens for a child spawned with one:
 *
 * - the worker sends `{ ebbflow: 'standby-ready' }` once it waits;
 * - the parent sends `{ ebbflow: 'run' }` to promote it; the worker then closes the channel and polls as any other.
 *
 * A standby whose parent goes away, or that is asked to stop (SIGTERM, SIGINT) before it was promoted, stops: it
 * holds no work.
 */
import { HeadBucketCommand, type S3Client } from '@aws-sdk/client-s3';
import sharp from 'sharp';
import { DEFAULT_VARIANTS } from '../common/image-variants';
import { ConfigError } from '../errors';
import { renderVariants } from '../images/resize';
import type { Logger } from '../logger';

export type StandbyMessage = { ebbflow: 'standby-ready' } | { ebbflow: 'run' };

/**
 * Runs the image code once on a small generated photo-sized JPEG: sharp's first pipeline loads libvips' codecs and
 * the JIT compiles the resize path, which would otherwise both be paid by the first real upload.
 */
export async function warmUpImageCode(maxPixels: number): Promise<void> {
  const input = await sharp({ create: { width: 1600, height: 1200, channels: 3, background: '#6a8caf' } })
    .jpeg({ quality: 85 })
    .toBuffer();
  await renderVariants(input, DEFAULT_VARIANTS, { maxPixels });
}

/**
 * Makes one request to each bucket the resizes read and write (HeadBucket), so that the first upload does not pay
 * for what the AWS SDK does once: loading the modules it requires on first use, resolving credentials and the
 * endpoint, and opening a connection it then keeps alive. Measured against the emulator, the first image's S3 reads
 * and writes took 60–80 ms of CPU in a fresh process and about 25 ms after this. A bucket that does not answer is
 * logged, not fatal: the resizes report S3's own error if it persists.
 */
export async function warmUpStorage(s3: S3Client, buckets: readonly string[], logger: Logger): Promise<void> {
  for (const bucket of new Set(buckets)) {
    try {
      await s3.send(new HeadBucketCommand({ Bucket: bucket }));
    } catch (error) {
      logger.warn('standby worker could not reach a bucket while warming up', { bucket, error });
    }
  }
}

export interface StandbyGate {
  /**
   * Tells the parent this worker waits and resolves `'run'` once it is promoted, or `'stop'` once it is asked to
   * stop or its parent has gone, also when that happened while it booted.
   */
  waitForPromotion(): Promise<'run' | 'stop'>;
  /** Stops listening and closes the channel, whatever came of it: an open channel would keep the process alive. */
  release(): void;
}

/**
 * Listens from now on, while the worker boots, for a stop (SIGTERM, SIGINT, its parent gone) and, once it waits, for
 * its promotion. The SDK's own signal handlers only flag a stop for workers that run, so the gate keeps it.
 * @throws ConfigError without an IPC channel to a parent that could promote the worker.
 */
export function standbyGate(logger: Logger): StandbyGate {
  if (!process.send) {
    throw new ConfigError(
      '--standby needs an IPC channel to its parent: the local scaler starts standby workers; run `ebbflow worker` without it',
    );
  }
  const signals = ['SIGTERM', 'SIGINT'] as const;
  let outcome: 'run' | 'stop' | undefined;
  let settle: ((outcome: 'run' | 'stop') => void) | undefined;
  const release = (): void => {
    process.off('message', onMessage);
    process.off('disconnect', onDisconnect);
    for (const signal of signals) process.off(signal, onStop);
    if (process.connected) process.disconnect();
  };
  const finish = (result: 'run' | 'stop'): void => {
    if (outcome) return;
    outcome = result;
    release();
    settle?.(result);
  };
  const onMessage = (message: unknown): void => {
    if ((message as Partial<StandbyMessage> | null)?.ebbflow === 'run') {
      logger.info('standby worker promoted: polling');
      finish('run');
    }
  };
  const onDisconnect = (): void => {
    logger.info('standby worker stopping: its parent has gone');
    finish('stop');
  };
  const onStop = (signal: NodeJS.Signals): void => {
    logger.info('standby worker stopping before it was needed', { signal });
    finish('stop');
  };
  process.on('message', onMessage);
  process.once('disconnect', onDisconnect);
  for (const signal of signals) process.once(signal, onStop);
  return {
    waitForPromotion() {
      if (outcome) return Promise.resolve(outcome);
      process.send?.({ ebbflow: 'standby-ready' } satisfies StandbyMessage);
      logger.info('standby worker ready: waiting to be promoted');
      return new Promise((resolve) => (settle = resolve));
    },
    release,
  };
}
