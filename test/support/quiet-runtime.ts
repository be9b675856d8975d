/**
 * Installs the Temporal SDK runtime with a logger that prints errors only, so expected warnings (failed attempts in
 * retry tests) and workflow-bundling chatter do not bury test output. Runs before each test file; the runtime is
 * per process, so a second install in the same jest worker is skipped.
 */
import { DefaultLogger, Runtime } from '@temporalio/worker';

try {
  Runtime.install({ logger: new DefaultLogger('ERROR') });
} catch {
  // Already installed in this jest worker by an earlier test file.
}
