import type { S3Client } from '@aws-sdk/client-s3';
import { ensureBucket } from '../../../src/aws/provision';

/** An S3 client whose HeadBucket fails with `headError`; it records the commands sent. */
function fakeS3(headError: Error): { s3: S3Client; sent: string[] } {
  const sent: string[] = [];
  const s3 = {
    send: (command: { constructor: { name: string } }) => {
      sent.push(command.constructor.name);
      return command.constructor.name === 'HeadBucketCommand' ? Promise.reject(headError) : Promise.resolve({});
    },
  } as unknown as S3Client;
  return { s3, sent };
}

describe('ensureBucket', () => {
  it('surfaces a HeadBucket refusal as itself and creates nothing', async () => {
    const denied = Object.assign(new Error('Forbidden'), { name: '403', $metadata: { httpStatusCode: 403 } });
    const { s3, sent } = fakeS3(denied);
    await expect(ensureBucket(s3, 'b')).rejects.toBe(denied);
    expect(sent).toEqual(['HeadBucketCommand']);
  });

  it('creates the bucket when HeadBucket answers 404', async () => {
    const missing = Object.assign(new Error('NotFound'), { name: 'NotFound', $metadata: { httpStatusCode: 404 } });
    const { s3, sent } = fakeS3(missing);
    await ensureBucket(s3, 'b');
    expect(sent).toEqual(['HeadBucketCommand', 'CreateBucketCommand']);
  });
});
