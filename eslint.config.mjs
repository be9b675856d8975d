// ESLint flat config. The override for workflow code (workflows/, and the workflows tests and benchmarks run) guards
// Temporal's determinism sandbox: workflow code may import only @temporalio/workflow, pure shared modules and activity
// *types*.
import js from '@eslint/js';
import tseslint from 'typescript-eslint';
import importX from 'eslint-plugin-import-x';
import globals from 'globals';
import { builtinModules } from 'node:module';

// Every module Node ships, subpaths such as timers/promises included, under both of the names it answers to.
const nodeBuiltins = [
  ...new Set(builtinModules.filter((name) => !name.startsWith('_')).map((name) => name.replace(/^node:/, ''))),
];

// Workflow code: the application's, and the small workflows tests and benchmarks run.
const workflowFiles = ['workflows/**/*.ts', 'test/fixtures/workflows/**/*.ts', 'bench/workflows/**/*.ts'];

export default tseslint.config(
  { ignores: ['dist/**', 'node_modules/**', '.ebbflow/**', 'coverage/**', 'infra/**/.terraform/**'] },
  js.configs.recommended,
  ...tseslint.configs.recommended,
  {
    files: ['**/*.ts'],
    languageOptions: {
      parserOptions: { projectService: true, tsconfigRootDir: import.meta.dirname },
      globals: { ...globals.node },
    },
    plugins: { 'import-x': importX },
    rules: {
      '@typescript-eslint/no-floating-promises': 'error',
      '@typescript-eslint/consistent-type-imports': ['error', { fixStyle: 'inline-type-imports' }],
      '@typescript-eslint/no-unused-vars': ['error', { argsIgnorePattern: '^_', varsIgnorePattern: '^_' }],
      'import-x/no-cycle': 'error',
    },
  },
  {
    files: ['**/*.js', '**/*.mjs', '**/*.cjs'],
    languageOptions: { globals: { ...globals.node }, sourceType: 'commonjs' },
    rules: { '@typescript-eslint/no-require-imports': 'off' },
  },
  {
    files: workflowFiles,
    rules: {
      'no-restricted-imports': [
        'error',
        {
          paths: nodeBuiltins.flatMap((name) => [
            { name, message: 'Workflow code is deterministic: no Node APIs in workflows/. Use an activity.' },
            { name: `node:${name}`, message: 'Workflow code is deterministic: no Node APIs in workflows/.' },
          ]),
          patterns: [
            {
              group: [
                '@aws-sdk/*',
                'sharp',
                'pdfkit',
                'pg',
                'better-sqlite3',
                'kysely',
                '@temporalio/client',
                '@temporalio/worker',
                '@temporalio/activity',
              ],
              message: 'I/O belongs in activities/; workflows import activity types only.',
            },
            {
              group: [
                ...['../', '../../', '../../../'].flatMap((up) => [`${up}src/*`, `${up}src/**`]),
                ...['../', '../../', '../../../'].flatMap((up) => [`!${up}src/common`, `!${up}src/common/*`]),
              ],
              message: 'workflows/ may import only the pure modules of src/common/.',
            },
          ],
        },
      ],
      'no-restricted-globals': [
        'error',
        { name: 'process', message: 'No environment inside workflows/: pass settings in the workflow input.' },
        { name: 'require', message: 'No dynamic requires inside workflows/.' },
      ],
    },
  },
);
