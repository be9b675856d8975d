import { readFileSync } from 'node:fs';
import path from 'node:path';
import { buildProgram } from '../../src/cli/index';
import { settingsMarkdown } from '../../src/config';

const readme = readFileSync(path.join(__dirname, '..', '..', 'README.md'), 'utf8');

/** Table rows as trimmed cells, so Prettier's column padding does not matter. */
const cells = (markdown: string): string[][] =>
  markdown
    .trim()
    .split('\n')
    .map((row) => row.split('|').map((cell) => cell.trim().replace(/^-+$/, '---')));

describe('README', () => {
  it('has the configuration table of every setting as the config module declares it (node scripts/readme-config.js)', () => {
    const table = readme.split('<!-- config-table:begin -->')[1]?.split('<!-- config-table:end -->')[0]?.trim();
    expect(cells(table ?? '')).toEqual(cells(settingsMarkdown()));
  });

  it('lists every command of the CLI', () => {
    const commands = buildProgram().commands.map((c) => c.name());
    const missing = commands.filter((name) => !readme.includes(`\`ebbflow ${name}`));
    expect(missing).toEqual([]);
  });
});
