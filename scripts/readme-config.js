#!/usr/bin/env node
/*
 * Rewrites the configuration tables from the settings in src/config.ts (run after `npm run build`, then
 * `npx prettier --write docs/configuration.md docs/scaling.md`): every setting in docs/configuration.md, the
 * scaler's in docs/scaling.md.
 */
'use strict';
const fs = require('node:fs');
const path = require('node:path');
const { settingsMarkdown } = require('../dist/src/config');

const TABLES = { 'docs/configuration.md': undefined, 'docs/scaling.md': ['scaler'] };
const begin = '<!-- config-table:begin -->';
const end = '<!-- config-table:end -->';

for (const [name, groups] of Object.entries(TABLES)) {
  const file = path.join(__dirname, '..', name);
  const text = fs.readFileSync(file, 'utf8');
  const a = text.indexOf(begin);
  const b = text.indexOf(end);
  if (a < 0 || b < a) throw new Error(`${name} has no config-table markers`);
  fs.writeFileSync(file, `${text.slice(0, a + begin.length)}\n${settingsMarkdown(groups)}\n${text.slice(b)}`);
}
