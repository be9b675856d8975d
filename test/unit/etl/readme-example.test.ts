import { readFileSync } from 'node:fs';
import path from 'node:path';
import { S3Client } from '@aws-sdk/client-s3';
import { generateSampleSources } from '../../../src/etl/generate';

const root = path.join(__dirname, '..', '..', '..');

it('the ETL examples run the sources file that etl generate writes', async () => {
  const s3 = new S3Client({ region: 'us-east-1' });
  s3.send = (async () => ({})) as S3Client['send'];
  const { configKey } = await generateSampleSources({ s3, bucket: 'in', sources: 1, date: '2025-03-14' });
  for (const doc of ['README.md', 'docs/etl.md']) {
    const text = readFileSync(path.join(root, doc), 'utf8');
    const configs = [...text.matchAll(/ebbflow etl run --config (\S+)/g)].map((m) => m[1]);
    expect(configs.length).toBeGreaterThan(0);
    expect({ doc, configs }).toEqual({ doc, configs: configs.map(() => configKey) });
  }
});
