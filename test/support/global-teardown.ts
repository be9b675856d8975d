/**
 * Stops the shared servers, then fails the run if a test left a server listening or a process running. With one worker
 * (two cores) jest runs every test file in its own main process, where such a leak would keep it from ever exiting.
 */
import { sleep } from '../../src/async';

const LEAKS: Record<string, string> = {
  TCPServerWrap: 'server still listening',
  ProcessWrap: 'child process still running',
};

export default async function globalTeardown(): Promise<void> {
  await Promise.all((globalThis.__EBBFLOW_TEST_PROCESSES__ ?? []).map((p) => p.stop(5000)));
  // A process that has just exited releases its handle on a later turn of the event loop.
  const deadline = Date.now() + 5000;
  let leaks = openLeaks();
  while (leaks.length > 0 && Date.now() < deadline) {
    await sleep(50);
    leaks = openLeaks();
  }
  if (leaks.length > 0) {
    throw new Error(`a test left resources open (${leaks.join(', ')}): close them in its afterAll`);
  }
}

function openLeaks(): string[] {
  return process.getActiveResourcesInfo().flatMap((type) => (LEAKS[type] ? [LEAKS[type]] : []));
}
