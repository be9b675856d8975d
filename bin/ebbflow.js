#!/usr/bin/env -S node --no-memory-reducer
'use strict';
const path = require('node:path');
const fs = require('node:fs');

// The AWS SDK warns on every start that its 2027 releases will need Node 22; say it once in the README instead.
process.env.AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED ??= 'true';

const entry = path.join(__dirname, '..', 'dist', 'src', 'cli', 'index.js');
if (!fs.existsSync(entry)) {
  process.stderr.write('ebbflow: not built yet. Run `npm run build` (or `npm run dev`, which builds first).\n');
  process.exit(2);
}
require(entry).main(process.argv);
