/**
 * `ebbflow submit` on a throttling S3: every first PUT of an object is answered 503 SlowDown by a proxy in front of
 * the emulator, as S3 does under load; each upload is retried by the SDK and lands once, whole.
 */
import http from 'node:http';
import { mkdtempSync, writeFileSync } from 'node:fs';
import type { AddressInfo } from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { GetObjectCommand } from '@aws-sdk/client-s3';
import { createAwsClients } from '../../../src/aws/clients';
import { collectUploads, uploadAll } from '../../../src/pipeline/upload';
import { createTestPipeline } from '../../support/stack';

/** Forwards to the emulator, except that the first PUT of each path gets S3's throttling answer. */
function throttlingProxy(target: URL): Promise<{ url: string; puts: Map<string, number>; close(): Promise<void> }> {
  const puts = new Map<string, number>();
  const server = http.createServer((req, res) => {
    const url = req.url ?? '/';
    if (req.method === 'PUT') {
      const seen = (puts.get(url) ?? 0) + 1;
      puts.set(url, seen);
      if (seen === 1) {
        req.resume();
        res.writeHead(503, { 'content-type': 'application/xml' });
        res.end(
          '<?xml version="1.0"?><Error><Code>SlowDown</Code><Message>Please reduce your request rate.</Message></Error>',
        );
        return;
      }
    }
    const upstream = http.request(
      { host: target.hostname, port: target.port, method: req.method, path: url, headers: req.headers },
      (answer) => {
        res.writeHead(answer.statusCode ?? 502, answer.headers);
        answer.pipe(res);
      },
    );
    upstream.on('error', () => res.destroy());
    req.pipe(upstream);
  });
  return new Promise((resolve) =>
    server.listen(0, '127.0.0.1', () =>
      resolve({
        url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`,
        puts,
        close: () => new Promise((done) => server.close(() => done())),
      }),
    ),
  );
}

it('retries each throttled upload until it lands, whole and once', async () => {
  const { config, aws, resources } = await createTestPipeline('upload');
  const proxy = await throttlingProxy(new URL(config.aws.endpoint!));
  try {
    const dir = mkdtempSync(path.join(os.tmpdir(), 'ebbflow-upload-'));
    const contents = ['a', 'b', 'c', 'd'].map((name, i) => ({ name: `${name}.jpg`, bytes: Buffer.alloc(1000 + i, i) }));
    for (const { name, bytes } of contents) writeFileSync(path.join(dir, name), bytes);

    const throttled = createAwsClients({ ...config.aws, endpoint: proxy.url });
    const uploaded: string[] = [];
    await uploadAll(throttled.s3, resources.inputBucket, collectUploads([dir], 'retried'), {
      onUploaded: (item) => uploaded.push(item.key),
    });

    expect(uploaded.sort()).toEqual(contents.map(({ name }) => `retried/${name}`));
    expect([...proxy.puts.values()]).toEqual([2, 2, 2, 2]);
    for (const { name, bytes } of contents) {
      const object = await aws.s3.send(new GetObjectCommand({ Bucket: resources.inputBucket, Key: `retried/${name}` }));
      expect(Buffer.from(await object.Body!.transformToByteArray())).toEqual(bytes);
    }
  } finally {
    await proxy.close();
  }
});
