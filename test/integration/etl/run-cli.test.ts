/** `ebbflow etl run` as a person types it, against the dev server: an id that a running run holds is refused. */
import type { Client } from '@temporalio/client';
import { connectClient } from '../../../src/temporal/connection';
import { runCli } from '../../support/cli';
import { createTestPipeline, uniqueName, type TestPipeline } from '../../support/stack';

describe('ebbflow etl run', () => {
  let pipeline: TestPipeline;
  let client: Client;

  beforeAll(async () => {
    // No worker polls this pipeline's task queue: a run started on it stays running.
    pipeline = await createTestPipeline('etl-run');
    client = await connectClient(pipeline.config.temporal);
  });
  afterAll(async () => {
    await client?.connection.close();
  });

  it('refuses in one line, exit 2, to start a run under the id of a running one', async () => {
    const id = uniqueName('etl-taken');
    const run = (): ReturnType<typeof runCli> =>
      runCli(pipeline.env, 'etl', 'run', '--config', 'etl/config/none.yaml', '--id', id, '--no-watch');
    expect((await run()).code).toBe(0);
    try {
      const again = await run();
      expect(again.code).toBe(2);
      expect(again.stderr).toMatch(new RegExp(`^ebbflow: a workflow with id ${id} is running already: .*another id`));
      expect(again.stderr.trimEnd().split('\n')).toHaveLength(1);
    } finally {
      await client.workflow.getHandle(id).terminate('test done');
    }
  });
});
