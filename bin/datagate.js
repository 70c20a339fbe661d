#!/usr/bin/env node
'use strict';
// graphql-js runs development-only checks unless NODE_ENV is production (+56% execution cost).
if (!process.env.NODE_ENV) process.env.NODE_ENV = 'production';
const path = require('node:path');
const fs = require('node:fs');
const entry = path.join(__dirname, '..', 'dist', 'src', 'cli', 'main.js');
if (!fs.existsSync(entry)) {
  console.error('datagate is not built yet: run `npm run build` (npm start does it for you).');
  process.exit(1);
}
require(entry).main(process.argv.slice(2)).then(
  (code) => { if (typeof code === 'number') process.exitCode = code; },
  (e) => { console.error(e && e.message ? e.message : e); process.exit(1); },
);
