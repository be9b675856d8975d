/**
 * `startTemporalDevServer` returns only once the frontend serves, so callers (tests, `ebbflow dev`, the benchmarks)
 * can connect and call at once instead of meeting "Frontend is not healthy yet" in the moment after the port opens.
 */
import { Connection } from '@temporalio/client';
import { NativeConnection } from '@temporalio/worker';
import { SEARCH_ATTRIBUTE_TYPES } from '../../../src/common/constants';
import { freePort, startTemporalDevServer, type ManagedProcess } from '../../../src/dev/processes';

let server: ManagedProcess | undefined;

afterAll(async () => {
  await server?.stop();
});

it('is ready to serve calls, from the client and a worker connection, with its search attributes, when it returns', async () => {
  const port = await freePort();
  server = await startTemporalDevServer({ port, headless: true, searchAttributes: SEARCH_ATTRIBUTE_TYPES });
  const address = `127.0.0.1:${port}`;
  const [native, connection] = await Promise.all([
    NativeConnection.connect({ address }),
    Connection.connect({ address }),
  ]);
  try {
    const [info, namespace, attributes] = await Promise.all([
      connection.workflowService.getSystemInfo({}),
      connection.workflowService.describeNamespace({ namespace: 'default' }),
      connection.operatorService.listSearchAttributes({ namespace: 'default' }),
    ]);
    expect(info.serverVersion).toMatch(/^\d+\.\d+\.\d+/);
    expect(namespace.namespaceInfo?.name).toBe('default');
    expect(Object.keys(attributes.customAttributes)).toEqual(
      expect.arrayContaining(Object.keys(SEARCH_ATTRIBUTE_TYPES)),
    );
  } finally {
    await native.close();
    await connection.close();
  }
}, 90_000);
