/** The time-skipping test server from the project venv, handed to the SDK as an existing binary. */
import { TestWorkflowEnvironment } from '@temporalio/testing';
import { tools } from '../../src/dev/processes';

export function createTimeSkippingEnv(): Promise<TestWorkflowEnvironment> {
  return TestWorkflowEnvironment.createTimeSkipping({
    server: { executable: { type: 'existing-path', path: tools.testServer() } },
  });
}
