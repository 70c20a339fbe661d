'use strict';
/**
 * The role comparison: datagate as alice (role sales_rep: her customers only, email and phone
 * masked; bench/policies/sales_rep.yaml) against datagate as erin (role admin: everything, in
 * clear; bench/policies/admin.yaml), on the same request bodies.
 *
 * - who alice is: the sales rep of the shapes' region with the most customers there, picked from
 *   the bench data at run time, and 100 of her customers for Q3 (both roles use those ids, so both
 *   get a row per request);
 * - the tokens: HS256, signed with identity.jwt of bench/datagate.yaml (read from the file);
 * - the check before any load: every body of every shape, as both roles, against the answer the
 *   policy allows computed from the database (the raw handlers of lib/shapes.js, restricted to her
 *   customers, with the two masks applied here), plus explicit checks of what alice sees.
 */
const fs = require('node:fs');
const path = require('node:path');
const { isDeepStrictEqual } = require('node:util');
const YAML = require('yaml');
const { RAW, REGION, q3Bodies } = require('./shapes');

const CONFIG = path.join(__dirname, '..', 'datagate.yaml');
const TOKEN_TTL = '6h';

/** The users of the role comparison (claims without alice's employee id, added once picked). */
const USERS = {
  erin: { sub: 'erin', roles: ['admin'] },
  alice: { sub: 'alice', roles: ['sales_rep'] },
};

/** identity.jwt of bench/datagate.yaml: the bench signs with the deployment's own settings. */
function readJwtSettings() {
  const cfg = YAML.parse(fs.readFileSync(CONFIG, 'utf8'));
  const jwt = cfg?.identity?.jwt ?? {};
  if (typeof jwt.secret !== 'string' || jwt.secret.includes('${')) {
    throw new Error(`${CONFIG}: identity.jwt.secret must be a literal bench secret (the bench signs its tokens with it)`);
  }
  return { secret: jwt.secret, issuer: jwt.issuer, audience: jwt.audience };
}

/** { erin, alice }: bearer tokens valid for a few hours. */
async function mintTokens(alice) {
  const { SignJWT } = require('jose');
  const jwt = readJwtSettings();
  const key = new TextEncoder().encode(jwt.secret);
  const sign = (claims) => {
    const t = new SignJWT(claims).setProtectedHeader({ alg: 'HS256' }).setIssuedAt().setExpirationTime(TOKEN_TTL);
    if (jwt.issuer) t.setIssuer(jwt.issuer);
    if (jwt.audience) t.setAudience(jwt.audience);
    return t.sign(key);
  };
  return {
    erin: await sign(USERS.erin),
    alice: await sign({ ...USERS.alice, employee_id: alice.repId }),
  };
}

/**
 * alice = the sales rep of REGION with the most customers in REGION (ties: lowest id), so that Q1,
 * Q2 and Q5 (customers of REGION) return full pages for her too. Q3: 100 of her customers, evenly
 * spread over her ids in id order (deterministic for a given data set).
 */
async function pickAlice(pg) {
  const { rows } = await pg.query(
    `select r.id, r.name, r.region, count(c.id)::int as customers, (count(c.id) filter (where c.region = $1))::int as in_region
       from sales_reps r join customers c on c.rep_id = r.id
      where r.region = $1 group by r.id, r.name, r.region order by in_region desc, r.id limit 1`,
    [REGION],
  );
  if (!rows.length) throw new Error(`no sales rep of region ${REGION} has customers in the bench data: cannot pick alice's employee id`);
  const rep = rows[0];
  const ids = (await pg.query('select id from customers where rep_id = $1 order by id', [rep.id])).rows.map((r) => r.id);
  if (ids.length < 100) throw new Error(`sales rep ${rep.id} has ${ids.length} customers, fewer than the 100 Q3 needs`);
  const q3Ids = Array.from({ length: 100 }, (_, i) => ids[Math.floor((i * ids.length) / 100)]);
  return { repId: rep.id, repName: rep.name, region: rep.region, customers: rep.customers, inRegion: rep.in_region, q3Ids, customerIds: new Set(ids) };
}

/** The role comparison's shapes: as SHAPES, but Q3 through alice's 100 ids (for both roles). */
function roleShapes(SHAPES, alice) {
  return { ...SHAPES, Q3: { ...SHAPES.Q3, title: 'by key: one customer, 9 columns, cycling through 100 ids of alice\'s customers', bodies: q3Bodies(alice.q3Ids) } };
}

// ------------------------------------------------------------------ what alice should see

/** The policy's masks, written again here (not imported from datagate): a***@domain and ***1234. */
const MASKS = {
  email: (v) => {
    if (v == null) return v;
    const s = String(v);
    const at = s.lastIndexOf('@');
    return at > 0 ? `${String.fromCodePoint(s.codePointAt(0))}***${s.slice(at)}` : '***';
  },
  phone: (v) => {
    if (v == null) return v;
    const chars = Array.from(String(v));
    return chars.length > 4 ? `***${chars.slice(-4).join('')}` : '***';
  },
};

/** Customer.email and Customer.phone masked wherever they appear (no other selected entity has them). */
function masked(data) {
  if (Array.isArray(data)) return data.map(masked);
  if (data === null || typeof data !== 'object') return data;
  const out = {};
  for (const [k, v] of Object.entries(data)) out[k] = MASKS[k] ? MASKS[k](v) : masked(v);
  return out;
}

/** Every customer object of an answer (lists `customers`, by-key `customer`). */
function customersIn(data) {
  const out = [];
  const walk = (v, key) => {
    if (Array.isArray(v)) return v.forEach((x) => walk(x, key));
    if (v === null || typeof v !== 'object') return;
    if (key === 'customers' || key === 'customer') out.push(v);
    for (const [k, x] of Object.entries(v)) walk(x, k);
  };
  walk(data, null);
  return out;
}

const EMAIL_MASKED = /^.\*\*\*@[^@]+$/u;
const PHONE_MASKED = /^\*\*\*.{0,4}$/u;

/** What alice's answer must show, whatever the database holds: her customers only, masked. */
function aliceProblems(shape, data, alice) {
  const problems = [];
  const customers = customersIn(data);
  if (shape === 'Q4') {
    if (!data.ordersAggregate?.length) problems.push('no aggregate groups: alice should count her customers\' orders');
  } else if (!customers.length) problems.push('no customer at all: alice should see her own customers');
  for (const c of customers) {
    if (!alice.customerIds.has(c.id)) problems.push(`customer ${c.id} is not one of alice's (rep_id ${alice.repId})`);
    if ('rep_id' in c && c.rep_id !== alice.repId) problems.push(`customer ${c.id} has rep_id ${c.rep_id}, not ${alice.repId}`);
    if ('email' in c && c.email !== null && !EMAIL_MASKED.test(c.email)) problems.push(`customer ${c.id}: email ${JSON.stringify(c.email)} is not masked (x***@domain)`);
    if ('phone' in c && c.phone !== null && !PHONE_MASKED.test(c.phone)) problems.push(`customer ${c.id}: phone ${JSON.stringify(c.phone)} is not masked (***1234)`);
  }
  const orders = customers.flatMap((c) => c.orders ?? c.salesOrders ?? []);
  if ((shape === 'Q2' || shape === 'Q5') && !orders.length) problems.push('no orders under her customers');
  return problems;
}

/** What erin's answer must show: masks off. */
function erinProblems(data) {
  const problems = [];
  for (const c of customersIn(data)) {
    for (const k of ['email', 'phone']) if (typeof c[k] === 'string' && c[k].includes('***')) problems.push(`customer ${c.id}: ${k} ${JSON.stringify(c[k])} looks masked for the admin`);
  }
  if (!customersIn(data).length && !data.ordersAggregate?.length) problems.push('an empty answer');
  return problems;
}

/**
 * Every body of every shape as alice and as erin, against the database. `post(url, body, token)`
 * → { status, text }. Returns a note per shape; throws a RoleCheckError listing every problem.
 */
class RoleCheckError extends Error {}

async function checkRoles({ url, shapes, names, tokens, alice, db, post }) {
  const problems = [];
  const notes = {};
  for (const shape of names) {
    const stats = { requests: 0, aliceCustomers: 0, erinCustomers: 0, aliceBytes: 0, erinBytes: 0, sample: null };
    for (const body of shapes[shape].bodies) {
      const variables = JSON.parse(body).variables ?? {};
      const [a, e, wantErin, wantAliceClear] = await Promise.all([
        post(url, body, tokens.alice),
        post(url, body, tokens.erin),
        RAW[shape](db, variables),
        RAW[shape](db, variables, { repId: alice.repId }),
      ]);
      stats.requests++;
      const where = `${shape} ${body.length > 120 ? `(variables ${JSON.stringify(variables)})` : ''}`.trim();
      for (const [who, r] of [['alice', a], ['erin', e]]) {
        if (r.status !== 200) problems.push(`${where} as ${who}: HTTP ${r.status}: ${r.text.slice(0, 300)}`);
      }
      if (a.status !== 200 || e.status !== 200) continue;
      const pa = JSON.parse(a.text);
      const pe = JSON.parse(e.text);
      if (pa.errors || !pa.data) {
        problems.push(`${where} as alice: errors: ${a.text.slice(0, 400)}`);
        continue;
      }
      if (pe.errors || !pe.data) {
        problems.push(`${where} as erin: errors: ${e.text.slice(0, 400)}`);
        continue;
      }
      for (const p of aliceProblems(shape, pa.data, alice)) problems.push(`${where} as alice: ${p}`);
      for (const p of erinProblems(pe.data)) problems.push(`${where} as erin: ${p}`);
      const wantAlice = masked(wantAliceClear);
      if (!isDeepStrictEqual(pa.data, wantAlice)) {
        problems.push(`${where} as alice: not what her policy allows\n  datagate: ${JSON.stringify(pa.data).slice(0, 400)}\n  expected: ${JSON.stringify(wantAlice).slice(0, 400)}`);
      }
      if (!isDeepStrictEqual(pe.data, wantErin)) {
        problems.push(`${where} as erin: not the database's answer\n  datagate: ${JSON.stringify(pe.data).slice(0, 400)}\n  expected: ${JSON.stringify(wantErin).slice(0, 400)}`);
      }
      stats.aliceCustomers += customersIn(pa.data).length;
      stats.erinCustomers += customersIn(pe.data).length;
      stats.aliceBytes += a.text.length;
      stats.erinBytes += e.text.length;
      stats.sample ??= customersIn(pa.data).find((c) => c.email)?.email ?? null;
    }
    const n = stats.requests;
    const avg = (x) => Math.round(x / n);
    notes[shape] =
      shape === 'Q4'
        ? `alice's groups count only her customers' orders; erin's all orders; both equal to the database's (${avg(stats.aliceBytes)} B / ${avg(stats.erinBytes)} B)`
        : `alice: ${stats.aliceCustomers} customer(s) in ${n} answer(s), all hers, ${stats.sample ? `email masked (e.g. ${stats.sample})` : 'no masked field selected'}; erin: ${stats.erinCustomers}, in clear; both equal to the database's answer (${avg(stats.aliceBytes)} B / ${avg(stats.erinBytes)} B per answer)`;
  }
  if (problems.length) {
    const shown = problems.slice(0, 30);
    throw new RoleCheckError(`${problems.length} problem(s):\n${shown.join('\n')}${problems.length > shown.length ? `\n… and ${problems.length - shown.length} more` : ''}`);
  }
  return notes;
}

/**
 * The bench's tokens on data already loaded: alice picked from the database, then both minted. For the
 * side tools (ab.js, atRate.js); fails with what to run when the data is not there.
 */
async function tokensForLoadedData() {
  const S = require('./settings');
  const { openDb } = require('./db');
  const db = openDb({ pgUrl: S.PG_URL, mysqlUrl: S.MYSQL_URL, pool: 2 });
  let alice;
  try {
    alice = await pickAlice(db.pg);
  } catch (e) {
    throw new Error(`the bench data is not loaded (${e.message}): run npm run bench once`);
  } finally {
    await db.end();
  }
  return mintTokens(alice);
}

module.exports = { USERS, mintTokens, pickAlice, tokensForLoadedData, roleShapes, checkRoles, RoleCheckError, masked };
