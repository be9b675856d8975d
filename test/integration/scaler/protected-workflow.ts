/** A workflow for the task-protection test: one activity the test holds open as long as it likes. */
import { proxyActivities } from '@temporalio/workflow';

const { holdWork } = proxyActivities<{ holdWork(): Promise<string> }>({ startToCloseTimeout: '1 minute' });

export async function protectedWorkWorkflow(): Promise<string> {
  return holdWork();
}
