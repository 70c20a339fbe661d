'use strict';
/** What the results were measured on. */
const { execFileSync } = require('node:child_process');
const fs = require('node:fs');
const os = require('node:os');
const pg = require('pg');

function sh(cmd, args, cwd) {
  try {
    return execFileSync(cmd, args, { cwd, encoding: 'utf8', stdio: ['ignore', 'pipe', 'ignore'] }).trim();
  } catch {
    return null;
  }
}

async function describeMachine({ root, pgUrl, mysqlUrl }) {
  const cpuinfo = fs.readFileSync('/proc/cpuinfo', 'utf8');
  const meminfo = fs.readFileSync('/proc/meminfo', 'utf8');
  const memKb = Number(/MemTotal:\s+(\d+)/.exec(meminfo)?.[1] ?? 0);
  const out = {
    date: new Date().toISOString(),
    nproc: sh('nproc', []) ?? String(os.cpus().length),
    cpu: /model name\s*:\s*(.+)/.exec(cpuinfo)?.[1]?.trim() ?? os.cpus()[0]?.model ?? 'unknown',
    memory: `${(memKb / 1024 / 1024).toFixed(1)} GiB`,
    kernel: os.release(),
    node: process.version,
    commit: sh('git', ['rev-parse', '--short', 'HEAD'], root) ?? 'unknown',
    dirty: (sh('git', ['status', '--porcelain', '--', 'src', 'resolvers'], root) ?? '').split('\n').filter(Boolean).length,
    postgres: null,
    mysql: null,
  };
  const c = new pg.Client({ connectionString: pgUrl });
  await c.connect();
  try {
    out.postgres = (await c.query('show server_version')).rows[0].server_version;
  } finally {
    await c.end();
  }
  if (mysqlUrl) {
    const mysql = require('mysql2/promise');
    const m = await mysql.createConnection(mysqlUrl);
    try {
      out.mysql = (await m.query('select version() as v'))[0][0].v;
    } finally {
      await m.end();
    }
  }
  return out;
}

module.exports = { describeMachine };
