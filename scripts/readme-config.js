#!/usr/bin/env node
/* Rewrites the configuration table of README.md from the settings in src/config.ts (run after `npm run build`). */
'use strict';
const fs = require('node:fs');
const path = require('node:path');
const { settingsMarkdown } = require('../dist/src/config');

const file = path.join(__dirname, '..', 'README.md');
const readme = fs.readFileSync(file, 'utf8');
const begin = '<!-- config-table:begin -->';
const end = '<!-- config-table:end -->';
const a = readme.indexOf(begin);
const b = readme.indexOf(end);
if (a < 0 || b < a) throw new Error('README.md has no config-table markers');
fs.writeFileSync(file, `${readme.slice(0, a + begin.length)}\n${settingsMarkdown()}\n${readme.slice(b)}`);
