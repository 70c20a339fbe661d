'use strict';
/**
 * The connections the raw baseline answers with: a pg Pool and, when a MySQL URL is given, a
 * mysql2 pool set up so that its values serialise as datagate's do (UTC dates, DECIMAL and BIGINT as
 * strings). Used by bench/servers/raw.js and, in the bench process, to compute the answers the
 * role comparison expects (bench/lib/roles.js).
 */
const pg = require('pg');

function openDb({ pgUrl, mysqlUrl, pool = 10 }) {
  const db = { pg: new pg.Pool({ connectionString: pgUrl, max: pool }), mysql: null };
  if (mysqlUrl) {
    const mysql = require('mysql2/promise');
    const u = new URL(mysqlUrl);
    db.mysql = mysql.createPool({
      host: u.hostname,
      port: Number(u.port || 3306),
      user: decodeURIComponent(u.username),
      password: decodeURIComponent(u.password),
      database: u.pathname.slice(1),
      connectionLimit: pool,
      timezone: 'Z',
      supportBigNumbers: true,
      bigNumberStrings: true,
    });
  }
  db.end = async () => {
    await db.pg.end();
    if (db.mysql) await db.mysql.end();
  };
  return db;
}

module.exports = { openDb };
