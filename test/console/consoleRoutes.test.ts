import { mkdtempSync, mkdirSync, writeFileSync } from 'node:fs';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import type { Gateway } from '../../src/server';
import { postGraphQL } from '../support/gql';
import { startDemoGateway } from './demoGateway';

/** The console's static files and demo sign-in, on a gateway serving a small stand-in bundle. */
const dir = mkdtempSync(path.join(os.tmpdir(), 'datagate-console-'));
mkdirSync(path.join(dir, 'assets'));
writeFileSync(path.join(dir, 'index.html'), '<!doctype html><title>console</title><div id="root"></div>');
writeFileSync(path.join(dir, 'assets', 'index-abc123.js'), 'console.log(1)');
writeFileSync(path.join(dir, 'assets', 'index-abc123.css'), 'body{}');
writeFileSync(path.join(dir, 'assets', 'logo.svg'), '<svg xmlns="http://www.w3.org/2000/svg"/>');
const secret = path.join(os.tmpdir(), `datagate-secret-${process.pid}.txt`);
writeFileSync(secret, 'not for the browser');

let gw: Gateway;
let base: string;
let url: string;
beforeAll(async () => {
  ({ gw, base, url } = await startDemoGateway({ consoleDir: dir, scale: 0.05 }));
}, 120_000);
afterAll(async () => gw?.close());

const get = (p: string, method = 'GET') => fetch(base + p, { method });

/** Sends the path byte for byte: fetch would normalize `..` away before the server saw it. */
function rawGet(p: string): Promise<{ status: number; body: string }> {
  const u = new URL(base);
  return new Promise((resolve, reject) => {
    const s = net.connect(Number(u.port), u.hostname, () => s.write(`GET ${p} HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n`));
    let data = '';
    s.on('data', (c) => (data += c));
    s.on('end', () => resolve({ status: Number(data.split(' ')[1]), body: data.split('\r\n\r\n').slice(1).join('\r\n\r\n') }));
    s.on('error', reject);
  });
}

test('/ is the console: index.html, revalidated on every visit', async () => {
  const r = await get('/');
  expect(r.status).toBe(200);
  expect(r.headers.get('content-type')).toBe('text/html; charset=utf-8');
  expect(r.headers.get('cache-control')).toBe('no-cache');
  expect(await r.text()).toContain('<div id="root">');
});

test.each([
  ['/assets/index-abc123.js', 'text/javascript; charset=utf-8'],
  ['/assets/index-abc123.css', 'text/css; charset=utf-8'],
  ['/assets/logo.svg', 'image/svg+xml'],
])('%s has its content type and a year of cache', async (p, type) => {
  const r = await get(p);
  expect(r.status).toBe(200);
  expect(r.headers.get('content-type')).toBe(type);
  expect(r.headers.get('cache-control')).toBe('public, max-age=31536000, immutable');
  expect(r.headers.get('x-content-type-options')).toBe('nosniff');
});

test('a client route is index.html (SPA fallback); a missing file is 404, not the page', async () => {
  for (const p of ['/catalog', '/entity/Customer', '/table/Customer?columns=id,name']) {
    const r = await get(p);
    expect([p, r.status, r.headers.get('content-type')]).toEqual([p, 200, 'text/html; charset=utf-8']);
  }
  const missing = await get('/assets/nope-123.js');
  expect(missing.status).toBe(404);
  expect(await missing.text()).not.toContain('<div id="root">');
});

test('HEAD answers headers only', async () => {
  const r = await get('/assets/index-abc123.js', 'HEAD');
  expect(r.status).toBe(200);
  expect(r.headers.get('content-length')).toBe(String('console.log(1)'.length));
  expect(await r.text()).toBe('');
});

test.each([
  `/../${path.basename(secret)}`,
  `/assets/../../${path.basename(secret)}`,
  `/%2e%2e/${path.basename(secret)}`,
  `/assets/%2E%2E/%2e%2e/${path.basename(secret)}`,
  `/..%2f${path.basename(secret)}`,
  `/assets%5c..%5c..%5c${path.basename(secret)}`,
  '/index.html%00.js',
])('directory traversal %s is refused', async (p) => {
  const r = await rawGet(p);
  expect(r.status).toBe(400);
  expect(r.body).not.toContain('not for the browser');
});

test('/graphql, /health, /ready and /metrics keep precedence over the console', async () => {
  expect((await postGraphQL(url, '{ __typename }')).body.data).toEqual({ __typename: 'Query' });
  expect((await (await get('/health')).json()).status).toBeDefined();
  expect((await get('/ready')).headers.get('content-type')).toContain('application/json');
  expect(await (await get('/metrics')).text()).toMatch(/^# HELP/m);
  // Only GET and HEAD reach the console: a POST elsewhere is still the gateway's 404.
  const post = await fetch(base + '/catalog', { method: 'POST' });
  expect(post.status).toBe(404);
});

test('without a built bundle, / says how to build it', async () => {
  const empty = await startDemoGateway({ consoleDir: mkdtempSync(path.join(os.tmpdir(), 'datagate-noconsole-')), scale: 0.01 });
  try {
    const r = await fetch(empty.base + '/');
    expect(r.status).toBe(503);
    expect(await r.text()).toContain('npm run build');
  } finally {
    await empty.gw.close();
  }
}, 120_000);

test('demo sign-in lists the users of identity.users and mints a token the gateway accepts', async () => {
  const users = await (await get('/console/demo-users')).json();
  expect(users.users.map((u: { name: string }) => u.name)).toEqual(['alice', 'bob', 'carol', 'dave', 'erin']);
  expect(users.users[1]).toEqual({ name: 'bob', displayName: 'Bob Brown', roles: ['marketing'] });
  const r = await fetch(base + '/console/demo-token', { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ user: 'bob' }) });
  expect(r.status).toBe(200);
  const { token } = await r.json();
  const me = await postGraphQL(url, '{ me { id roles } }', undefined, { authorization: `Bearer ${token}` });
  expect(me.body.data.me).toEqual({ id: 'bob', roles: ['marketing'] });
  const unknown = await fetch(base + '/console/demo-token', { method: 'POST', body: JSON.stringify({ user: 'mallory' }) });
  expect(unknown.status).toBe(400);
  expect((await unknown.json()).errors[0].message).toMatch(/unknown user "mallory"/);
});
