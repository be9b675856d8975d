/**
 * The workflow sandbox lint, shown to fail: code that imports Node builtins (those the old hand-written list missed
 * included) or process-only modules is refused in every folder that holds workflow code, and allowed elsewhere.
 */
import { execFileSync } from 'node:child_process';
import path from 'node:path';

const ROOT = path.join(__dirname, '..', '..', '..');

/** Rule and import of each message ESLint gives `code` as if it were the file `filePath`. */
function lint(filePath: string, code: string): string[] {
  // In a process of its own: ESLint loads its flat config with import(), which Jest's module sandbox does not offer.
  const script = `
    const { ESLint } = require('eslint');
    const eslint = new ESLint({
      cwd: process.argv[1],
      overrideConfig: { languageOptions: { parserOptions: { projectService: false } } },
      ruleFilter: ({ ruleId }) => ruleId.startsWith('no-restricted-'),
    });
    eslint.lintText(process.argv[3], { filePath: process.argv[2] }).then(([result]) =>
      process.stdout.write(JSON.stringify(result.messages.map((m) => m.ruleId + ' ' + m.message.split("'")[1]))),
    );`;
  return JSON.parse(
    execFileSync(process.execPath, ['-e', script, ROOT, filePath, code], { cwd: ROOT, encoding: 'utf8' }),
  );
}

const BROKEN = [
  "import { setTimeout } from 'timers/promises';",
  "import { StringDecoder } from 'node:string_decoder';",
  "import { AsyncLocalStorage } from 'async_hooks';",
  "import { S3Client } from '@aws-sdk/client-s3';",
  'export const used = [setTimeout, StringDecoder, AsyncLocalStorage, S3Client];',
].join('\n');

describe('the workflow sandbox lint', () => {
  it.each(['workflows/broken.ts', 'test/fixtures/workflows/broken.ts', 'bench/workflows/broken.ts'])(
    'refuses Node builtins and I/O libraries in %s',
    (file) => {
      expect(lint(file, BROKEN)).toEqual([
        'no-restricted-imports timers/promises',
        'no-restricted-imports node:string_decoder',
        'no-restricted-imports async_hooks',
        'no-restricted-imports @aws-sdk/client-s3',
      ]);
    },
  );

  it('lets the processes use them', () => {
    expect(lint('src/broken.ts', BROKEN)).toEqual([]);
  });
});
