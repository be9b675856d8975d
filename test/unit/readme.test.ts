import { readFileSync } from 'node:fs';
import path from 'node:path';
import { S3Client } from '@aws-sdk/client-s3';
import { buildProgram } from '../../src/cli/index';
import { settingsMarkdown } from '../../src/config';
import { generateSampleSources } from '../../src/etl/generate';

const readme = readFileSync(path.join(__dirname, '..', '..', 'README.md'), 'utf8');
const configurationDoc = readFileSync(path.join(__dirname, '..', '..', 'docs', 'configuration.md'), 'utf8');
const scalingDoc = readFileSync(path.join(__dirname, '..', '..', 'docs', 'scaling.md'), 'utf8');
const configTable = (markdown: string): string | undefined =>
  markdown.split('<!-- config-table:begin -->')[1]?.split('<!-- config-table:end -->')[0]?.trim();

/** Table rows as trimmed cells, so Prettier's column padding does not matter. */
const cells = (markdown: string): string[][] =>
  markdown
    .trim()
    .split('\n')
    .map((row) => row.split('|').map((cell) => cell.trim().replace(/^-+$/, '---')));

describe('README and docs', () => {
  it('docs/configuration.md has every setting as the config module declares it (node scripts/readme-config.js)', () => {
    expect(cells(configTable(configurationDoc) ?? '')).toEqual(cells(settingsMarkdown()));
  });

  it('the README links the configuration reference', () => {
    expect(readme).toContain('(docs/configuration.md)');
  });

  it('docs/scaling.md has the scaler settings as the config module declares them', () => {
    expect(cells(configTable(scalingDoc) ?? '')).toEqual(cells(settingsMarkdown(['scaler'])));
  });

  it('lists every command of the CLI', () => {
    const commands = buildProgram().commands.map((c) => c.name());
    const missing = commands.filter((name) => !readme.includes(`\`ebbflow ${name}`));
    expect(missing).toEqual([]);
  });
  it('the ETL examples run the sources file that etl generate writes', async () => {
    const s3 = new S3Client({ region: 'us-east-1' });
    s3.send = (async () => ({})) as S3Client['send'];
    const { configKey } = await generateSampleSources({ s3, bucket: 'in', sources: 1, date: '2025-03-14' });
    for (const doc of ['README.md', 'docs/etl.md']) {
      const text = readFileSync(path.join(__dirname, '..', '..', doc), 'utf8');
      const configs = [...text.matchAll(/ebbflow etl run --config (\S+)/g)].map((m) => m[1]);
      expect(configs.length).toBeGreaterThan(0);
      expect({ doc, configs }).toEqual({ doc, configs: configs.map(() => configKey) });
    }
  });
});
