/**
 * Ports chosen for processes about to start: outside the range the kernel assigns by itself, so neither an outgoing
 * connection nor a server picking its own ports at random (the Temporal dev server) can take one first.
 */
import net from 'node:net';
import { ephemeralPorts, freePort } from '../../../src/dev/processes';

describe('freePort', () => {
  it("gives ports below the kernel's ephemeral range, never the same one twice, each free to listen on", async () => {
    const { low } = ephemeralPorts();
    expect(low).toBeGreaterThan(21000); // this machine leaves room below its range
    const ports: number[] = [];
    for (let i = 0; i < 50; i++) ports.push(await freePort());
    expect(new Set(ports).size).toBe(ports.length);
    for (const port of ports) expect(port).toBeLessThan(low);
    const servers = await Promise.all(
      ports.map(
        (port) =>
          new Promise<net.Server>((resolve, reject) => {
            const server = net.createServer();
            server.once('error', reject);
            server.listen(port, '127.0.0.1', () => resolve(server));
          }),
      ),
    );
    await Promise.all(servers.map((server) => new Promise((resolve) => server.close(resolve))));
  });
});
