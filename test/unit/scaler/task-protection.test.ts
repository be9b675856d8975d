import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { silentLogger } from '../../../src/logger';
import { createTaskProtection } from '../../../src/scaler/task-protection';

interface Call {
  method: string;
  path: string;
  body: { ProtectionEnabled: boolean; ExpiresInMinutes?: number };
}

/** A stand-in for the ECS agent's task-protection endpoint that records every call. */
async function agentStandIn(
  status: number | ((call: number) => number) = 200,
): Promise<{ uri: string; calls: Call[]; server: Server }> {
  const calls: Call[] = [];
  const server = createServer((req, res) => {
    let raw = '';
    req.on('data', (chunk: Buffer) => (raw += chunk.toString()));
    req.on('end', () => {
      const body = JSON.parse(raw || '{}') as Call['body'];
      calls.push({ method: req.method ?? '', path: req.url ?? '', body });
      res.writeHead(typeof status === 'number' ? status : status(calls.length), { 'content-type': 'application/json' });
      res.end(JSON.stringify({ protection: { ProtectionEnabled: body.ProtectionEnabled, TaskArn: 'arn:task' } }));
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return { uri: `http://127.0.0.1:${(server.address() as AddressInfo).port}`, calls, server };
}

describe('ECS task scale-in protection', () => {
  let agent: Awaited<ReturnType<typeof agentStandIn>>;
  beforeEach(async () => {
    agent = await agentStandIn();
  });
  afterEach(() => new Promise((resolve) => agent.server.close(resolve)));

  test('protection goes on with the first activity and off after the last', async () => {
    const protection = createTaskProtection({ agentUri: agent.uri, logger: silentLogger });
    protection.busy();
    protection.busy();
    await protection.settled();
    expect(agent.calls).toEqual([
      { method: 'PUT', path: '/task-protection/v1/state', body: { ProtectionEnabled: true, ExpiresInMinutes: 60 } },
    ]);
    protection.idle();
    await protection.settled();
    expect(agent.calls).toHaveLength(1); // one activity still runs
    protection.idle();
    await protection.settled();
    expect(agent.calls.map((c) => c.body.ProtectionEnabled)).toEqual([true, false]);
    expect(protection.inFlight).toBe(0);
    await protection.close();
    expect(agent.calls).toHaveLength(2);
  });

  test('protection is renewed while busy, before it expires', async () => {
    const protection = createTaskProtection({
      agentUri: agent.uri,
      logger: silentLogger,
      expiresInMinutes: 1,
      renewBefore: 59_000, // renew every second
    });
    protection.busy();
    const deadline = Date.now() + 10_000;
    while (agent.calls.length < 3 && Date.now() < deadline) await new Promise((r) => setTimeout(r, 100));
    expect(agent.calls.slice(0, 3).map((c) => c.body)).toEqual([
      { ProtectionEnabled: true, ExpiresInMinutes: 1 },
      { ProtectionEnabled: true, ExpiresInMinutes: 1 },
      { ProtectionEnabled: true, ExpiresInMinutes: 1 },
    ]);
    await protection.close();
    expect(agent.calls.at(-1)?.body.ProtectionEnabled).toBe(false);
  });

  test('a call that failed is made again while what it asked for still holds', async () => {
    await new Promise((resolve) => agent.server.close(resolve));
    agent = await agentStandIn((call) => (call <= 2 ? 500 : 200)); // the first two fail
    const protection = createTaskProtection({ agentUri: agent.uri, logger: silentLogger, retryAfter: 20 });
    protection.busy();
    const until = async (n: number) => {
      const deadline = Date.now() + 5000;
      while (agent.calls.length < n && Date.now() < deadline) await new Promise((r) => setTimeout(r, 10));
      await protection.settled();
    };
    await until(3);
    expect(agent.calls.map((c) => c.body.ProtectionEnabled)).toEqual([true, true, true]);
    await new Promise((r) => setTimeout(r, 100));
    expect(agent.calls).toHaveLength(3); // protected now: nothing more to ask
    protection.idle();
    await until(4);
    expect(agent.calls.at(-1)?.body.ProtectionEnabled).toBe(false);
    await protection.close();
    expect(agent.calls).toHaveLength(4);
  });

  test('a failed call is not made again once the work it was for has ended', async () => {
    await new Promise((resolve) => agent.server.close(resolve));
    agent = await agentStandIn((call) => (call === 1 ? 500 : 200));
    const protection = createTaskProtection({ agentUri: agent.uri, logger: silentLogger, retryAfter: 50 });
    protection.busy();
    protection.idle();
    await protection.settled();
    await new Promise((r) => setTimeout(r, 200));
    // Asked on, failed; asked off (the agent's answer says off): nothing is owed.
    expect(agent.calls.map((c) => c.body.ProtectionEnabled)).toEqual([true, false]);
    await protection.close();
  });

  test('an agent that fails does not make the work fail', async () => {
    await new Promise((resolve) => agent.server.close(resolve));
    agent = await agentStandIn(500);
    const protection = createTaskProtection({ agentUri: agent.uri, logger: silentLogger });
    protection.busy();
    protection.idle();
    await expect(protection.settled()).resolves.toBeUndefined();
    expect(agent.calls).toHaveLength(2);
  });
});
