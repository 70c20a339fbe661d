import { createReadStream, existsSync, statSync } from 'node:fs';
import type http from 'node:http';
import path from 'node:path';
import type { RouteHandler } from './httpServer';

/** Where `npm run build` puts the web console (vite's outDir): from src/server and from dist/src/server. */
export function defaultConsoleDir(): string {
  const candidates = [path.resolve(__dirname, '../../console/dist'), path.resolve(__dirname, '../../../console/dist')];
  return candidates.find((d) => existsSync(path.join(d, 'index.html'))) ?? candidates[0];
}

const TYPES: Record<string, string> = {
  '.html': 'text/html; charset=utf-8',
  '.js': 'text/javascript; charset=utf-8',
  '.mjs': 'text/javascript; charset=utf-8',
  '.css': 'text/css; charset=utf-8',
  '.json': 'application/json; charset=utf-8',
  '.map': 'application/json; charset=utf-8',
  '.svg': 'image/svg+xml',
  '.png': 'image/png',
  '.ico': 'image/x-icon',
  '.woff': 'font/woff',
  '.woff2': 'font/woff2',
  '.ttf': 'font/ttf',
  '.txt': 'text/plain; charset=utf-8',
};

const MISSING_BUNDLE = `<!doctype html><html lang="en"><meta charset="utf-8"><title>datagate: console not built</title>
<body style="font-family:sans-serif;max-width:40em;margin:3em auto"><h1>The web console is not built</h1>
<p>This gateway serves GraphQL at <a href="/graphql"><code>/graphql</code></a>, but the console's files are missing
(<code>console/dist/index.html</code>). Build them with <code>npm run build</code> (or start with <code>npm start</code>, which builds),
then reload this page.</p></body></html>`;

function send(res: http.ServerResponse, status: number, type: string, body: string, head: boolean): void {
  res.writeHead(status, { 'content-type': type, 'content-length': Buffer.byteLength(body), 'x-content-type-options': 'nosniff' });
  res.end(head ? undefined : body);
}

/**
 * The console's static files (GET/HEAD of any path no other route takes; httpServer sends only those): a file of the bundle as
 * itself (hashed `assets/*` cached for a year, the rest revalidated), a client route (a path without
 * a file extension) as index.html, anything else 404. A path is resolved inside the bundle's folder
 * only: `..`, encoded or not, a backslash or a NUL is refused before the file system is asked.
 */
export function consoleRoute(dir: string): RouteHandler {
  const root = path.resolve(dir);
  return (req, res) => {
    const head = req.method === 'HEAD';
    const raw = (req.url ?? '/').split('?')[0];
    let rel: string;
    try {
      rel = decodeURIComponent(raw);
    } catch {
      return send(res, 400, 'text/plain; charset=utf-8', 'bad path encoding\n', head);
    }
    const segments = rel.split('/').filter(Boolean);
    if (rel.includes('\0') || rel.includes('\\') || segments.some((s) => s === '..' || s === '.'))
      return send(res, 400, 'text/plain; charset=utf-8', 'a path may not leave the console folder\n', head);
    const index = path.join(root, 'index.html');
    if (!existsSync(index)) return send(res, 503, 'text/html; charset=utf-8', MISSING_BUNDLE, head);
    const file = path.join(root, ...segments);
    if (file !== root && !file.startsWith(root + path.sep)) return send(res, 400, 'text/plain; charset=utf-8', 'a path may not leave the console folder\n', head);
    const ext = path.extname(file).toLowerCase();
    let target: string | undefined;
    if (segments.length && isFile(file)) target = file;
    else if (!ext) target = index; // a client route of the single-page app
    if (!target) return send(res, 404, 'text/plain; charset=utf-8', `no file ${raw} in the console\n`, head);
    const size = statSync(target).size;
    const immutable = segments[0] === 'assets' && target !== index;
    res.writeHead(200, {
      'content-type': TYPES[path.extname(target).toLowerCase()] ?? 'application/octet-stream',
      'content-length': size,
      'cache-control': immutable ? 'public, max-age=31536000, immutable' : 'no-cache',
      'x-content-type-options': 'nosniff',
      ...(target === index ? { 'x-frame-options': 'DENY', 'referrer-policy': 'same-origin' } : {}),
    });
    if (head) return void res.end();
    createReadStream(target)
      .on('error', () => res.destroy())
      .pipe(res);
  };
}

function isFile(p: string): boolean {
  try {
    return statSync(p).isFile();
  } catch {
    return false;
  }
}
