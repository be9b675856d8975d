import { buildProgram } from '../../src/cli/index';
import type { RunView } from '../../src/etl/runs';

const fakes: { setControls: () => Promise<unknown>; view?: RunView } = { setControls: async () => ({}) };

jest.mock('../../src/cli/context', () => ({
  ...jest.requireActual('../../src/cli/context'),
  cliContext: () => ({ config: { temporal: { namespace: 'default' } } }),
  cliClient: async () => ({ connection: { close: async () => undefined } }),
}));
jest.mock('../../src/etl/runs', () => ({
  ...jest.requireActual('../../src/etl/runs'),
  setEtlControls: () => fakes.setControls(),
  readEtlRun: async () => fakes.view,
}));

/** Runs `ebbflow etl …` in this process; what it wrote and the exit code it set. */
async function etl(...args: string[]): Promise<{ code: number; stderr: string; stdout: string }> {
  const written = { stderr: '', stdout: '' };
  const err = jest.spyOn(process.stderr, 'write').mockImplementation((s) => ((written.stderr += String(s)), true));
  const out = jest.spyOn(process.stdout, 'write').mockImplementation((s) => ((written.stdout += String(s)), true));
  process.exitCode = undefined;
  try {
    await buildProgram().parseAsync(['etl', ...args], { from: 'user' });
    return { code: Number(process.exitCode ?? 0), ...written };
  } finally {
    err.mockRestore();
    out.mockRestore();
    process.exitCode = undefined;
  }
}

describe('ebbflow etl', () => {
  it('set: values the run refuses exit 2; a server that fails exits 1 with what failed', async () => {
    fakes.setControls = async () => {
      throw Object.assign(new Error('Workflow Update failed'), {
        name: 'WorkflowUpdateFailedError',
        cause: new Error('parallelism must be at most 1000'),
      });
    };
    const refused = await etl('set', 'etl-1', '--parallelism', '5');
    expect(refused).toMatchObject({ code: 2, stderr: 'ebbflow: etl set etl-1: parallelism must be at most 1000\n' });

    fakes.setControls = async () => {
      throw Object.assign(new Error('connect ECONNREFUSED 127.0.0.1:7233'), {
        code: 'ECONNREFUSED',
        address: '127.0.0.1',
        port: 7233,
      });
    };
    const down = await etl('set', 'etl-1', '--parallelism', '5');
    expect(down.code).toBe(1);
    expect(down.stderr).toMatch(/^ebbflow: cannot connect to 127\.0\.0\.1:7233: connection refused\./);
  });

  it('status --json exits 1 for a failed run, as the live view does, and 0 for one that succeeded', async () => {
    const ledger = { workflowId: 'etl-1' } as RunView['ledger'];
    fakes.view = { ledger, running: false, outcome: { status: 'failed', message: '3 of 50 sources failed' } };
    const failed = await etl('status', 'etl-1', '--json');
    expect(failed.code).toBe(1);
    expect(JSON.parse(failed.stdout)).toMatchObject({ workflowId: 'etl-1', outcome: { status: 'failed' } });
    fakes.view = { ledger, running: false, outcome: { status: 'succeeded' } };
    expect((await etl('status', 'etl-1', '--json')).code).toBe(0);
  });
});
