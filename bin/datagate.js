#!/usr/bin/env -S node --max-semi-space-size=64 --no-allocation-site-pretenuring
'use strict';
// graphql-js runs development-only checks unless NODE_ENV is production (+56% execution cost).
if (!process.env.NODE_ENV) process.env.NODE_ENV = 'production';
// --max-semi-space-size=64 (above, in npm start and in the Dockerfile): V8's young generation may grow
// to 64 MB. With Node's default (16 MB) a busy gateway scavenged every ~30 ms, and the rows of the
// requests in flight were copied into the old generation at each scavenge: 1.2 MB per scavenge, a
// mark-compact every 2 s, 12% of a flat list's CPU. A node flag only, set at start: README, Operations.
// --no-allocation-site-pretenuring: an answer's objects are made in one burst and a scavenge falls
// inside that burst, so V8 saw every object of a site alive and moved the site's allocations to the
// old generation for good; the young strings those dead objects still pointed at then survived every
// scavenge. Off: scavenges of 12 ms became 3-5 ms, and half the GC pause time went (bench Q2).
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
