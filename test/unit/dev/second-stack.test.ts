/** `ebbflow dev` over a state folder whose stack still runs: refused in one line, before anything is started. */
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { runCli } from '../../support/cli';

describe('ebbflow dev over a running stack', () => {
  let dir: string;
  let holder: ChildProcess;

  beforeEach(() => {
    dir = mkdtempSync(path.join(os.tmpdir(), 'ebbflow-second-'));
    // A live process stands for the first stack's `ebbflow dev`.
    holder = spawn(process.execPath, ['-e', 'setInterval(() => {}, 1000)'], { stdio: 'ignore' });
  });
  afterEach(() => {
    holder.kill('SIGKILL');
    rmSync(dir, { recursive: true, force: true });
  });

  const writeState = (fields: Record<string, unknown>): void =>
    writeFileSync(
      path.join(dir, 'dev.json'),
      JSON.stringify({ pid: holder.pid, temporalAddress: '127.0.0.1:7299', ...fields }),
    );

  it('names the running stack: its process, its Temporal address and its UI', async () => {
    writeState({ temporalUiUrl: 'http://localhost:8299' });
    const out = await runCli({ EBBFLOW_STATE_DIR: dir }, 'dev', '--headless');
    expect(out.code).toBe(1);
    expect(out.stderr.trimEnd()).toBe(
      `ebbflow: ebbflow dev is already running (pid ${holder.pid}, Temporal at 127.0.0.1:7299, UI http://localhost:8299). ` +
        'Stop it with Ctrl-C there, or use another EBBFLOW_STATE_DIR.',
    );
  });

  it('leaves out the UI of a headless stack', async () => {
    writeState({ temporalUiUrl: '' });
    const out = await runCli({ EBBFLOW_STATE_DIR: dir }, 'dev', '--headless');
    expect(out.code).toBe(1);
    expect(out.stderr).toContain(`(pid ${holder.pid}, Temporal at 127.0.0.1:7299). Stop it`);
  });
});
