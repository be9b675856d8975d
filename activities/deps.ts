import type { AwsClients } from '../src/aws/clients';
import type { EbbflowConfig } from '../src/config';
import type { Database } from '../src/db/connection';
import type { Logger } from '../src/logger';

/**
 * What activities need from the process that hosts them. The worker builds these once and injects them, so tests
 * can hand in their own (a different bucket, a recording logger).
 */
export interface ActivityDeps {
  config: EbbflowConfig;
  aws: AwsClients;
  logger: Logger;
  /** The ebbflow database (EBBFLOW_DATABASE_URL), opened on first use and shared by the process's activities. */
  database: () => Database<unknown>;
}
