import { createHash } from 'node:crypto';
import { createWriteStream, existsSync, mkdirSync, readFileSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { once } from 'node:events';
import { parseArgs } from 'node:util';
import type { LineageEntry } from '../graph';
import { command, CliFailure, parseOrFail } from './command';
import { prepareExportQuery, AFTER_VARIABLE, PAGE_ALIAS } from '../server/export/exportQuery';
import { csvFormat, FORMATS, jsonlFormat, mergeLineage, type Format } from './exportRows';
import { mintUserToken } from './token';

const USAGE = `usage: datagate export --query q.graphql (--as TOKEN | --as-user NAME) --out DIR [--format jsonl|csv] [--vars v.json] [--url URL]

Runs a query on a running gateway as a user, so the user's policy, masks and audit apply, and
streams its rows to DIR/<name>.jsonl or .csv beside DIR/manifest.json (query, variables, user,
gateway, times, lineage, row count, sha256 of the data file, datagate version): a training set or a
KPI traced back to its sources, and reproducible.
  --query      file holding one query with one root field; a connection (edges { node } or nodes)
               is followed page by page (first = page size), anything else is one request
  --vars       JSON file of the query's variables
  --as         the user's token (sent as Bearer)
  --as-user    mint a development token for a user of identity.users (as \`datagate token\` does)
  --config     deployment file for --as-user (default: $DATAGATE_CONFIG or datagate.yaml)
  --format     jsonl (default: rows as answered) or csv (nested objects as a.b columns; a list of
               objects inside a row is refused: export that entity through its own root field)
  --out        directory to write into (created if missing)
  --name       data file name without extension (default: the query file's)
  --page-size  rows per page of a connection (sets its \`first\`)
  --url        the gateway's GraphQL endpoint (default: $DATAGATE_URL or http://localhost:4000/graphql)`;

const DEFAULT_URL = 'http://localhost:4000/graphql';
/** One page may take long on a busy source; past this the export fails rather than hangs. */
const REQUEST_TIMEOUT_MS = 300_000;

/** `datagate export`: returns the exit code. Progress and errors go to stderr. */
export const exportCommand = command(run);

async function run(argv: string[]): Promise<number> {
  const { values, positionals } = parseOrFail(
    () =>
      parseArgs({
        args: argv,
        allowPositionals: true,
        options: {
          query: { type: 'string', short: 'q' },
          vars: { type: 'string' },
          as: { type: 'string' },
          'as-user': { type: 'string' },
          config: { type: 'string', short: 'c', default: process.env.DATAGATE_CONFIG ?? 'datagate.yaml' },
          format: { type: 'string', default: 'jsonl' },
          out: { type: 'string', short: 'o' },
          name: { type: 'string' },
          'page-size': { type: 'string' },
          url: { type: 'string', default: process.env.DATAGATE_URL || DEFAULT_URL },
          help: { type: 'boolean', short: 'h' },
        },
      }),
    USAGE,
  );
  if (values.help) {
    console.log(USAGE);
    return 0;
  }
  if (positionals.length) throw new CliFailure(`unexpected argument "${positionals[0]}"\n\n${USAGE}`);
  if (!values.query) throw new CliFailure(`which query? pass --query q.graphql\n\n${USAGE}`);
  if (!values.out) throw new CliFailure(`where to? pass --out DIR\n\n${USAGE}`);
  if (!FORMATS.includes(values.format as Format)) throw new CliFailure(`--format must be ${FORMATS.join(' or ')}, found "${values.format}"`);
  const format = values.format as Format;
  if (values.as !== undefined && values['as-user'] !== undefined) throw new CliFailure('pass --as TOKEN or --as-user NAME, not both');
  if (values.as === undefined && values['as-user'] === undefined)
    throw new CliFailure(`as whom? pass --as TOKEN (e.g. --as "$(npx datagate token alice)") or --as-user NAME: the export reads what that user may read\n\n${USAGE}`);
  let pageSize: number | undefined;
  if (values['page-size'] !== undefined) {
    pageSize = Number(values['page-size']);
    if (!Number.isInteger(pageSize) || pageSize < 1) throw new CliFailure(`--page-size must be a positive whole number, found "${values['page-size']}"`);
  }
  const url = gatewayUrl(values.url!);

  const queryText = readText(values.query, 'query');
  const variables = values.vars ? readVariables(values.vars) : {};
  const q = prepareExportQuery(queryText, variables, pageSize);

  let token = values.as;
  if (token === undefined) {
    token = (await mintUserToken(values.config!, values['as-user']!, 3600)).token;
  }
  const client = createClient(url, token.trim());

  const started = new Date();
  // Who the gateway says we are, before any file is written: a bad token or a gateway that is down stop here.
  const me = (await client.post('query DatagateExportWho { me { id roles } }', {})).data?.me as { id: string | null; roles: string[] } | undefined;

  const name = values.name ?? path.basename(values.query).replace(/\.[^.]*$/, '');
  mkdirSync(values.out, { recursive: true });
  const dataFile = path.join(values.out, `${name}.${format}`);
  const rowsAt = q.connection ? `${q.rootKey}.${q.connection.rows === 'edges' ? 'edges.node' : 'nodes'}` : q.rootKey;
  const rowFormat = format === 'csv' ? csvFormat(q.columns, rowsAt) : jsonlFormat();
  const hash = createHash('sha256');
  const lineage = new Map<string, LineageEntry>();
  const out = createWriteStream(dataFile);
  let failure: unknown;
  out.on('error', (e) => (failure ??= e));
  const write = async (text: string) => {
    if (!text) return;
    if (failure) throw failure;
    hash.update(text);
    if (!out.write(text)) await Promise.race([once(out, 'drain'), once(out, 'error')]);
  };
  // Ctrl-C leaves no partial file either.
  const interrupted = () => {
    out.destroy();
    rmSync(dataFile, { force: true });
    process.exit(130);
  };
  process.once('SIGINT', interrupted);

  let rows = 0;
  let pages = 0;
  try {
    await write(rowFormat.header);
    let after = q.connection?.after ?? null;
    for (;;) {
      const answer = await client.post(q.text, q.connection ? { ...variables, [AFTER_VARIABLE]: after } : variables);
      mergeLineage(lineage, answer.extensions?.lineage);
      const root = answer.data?.[q.rootKey] as Record<string, unknown> | unknown[] | null | undefined;
      const pageRows = rowsOf(root, q.connection?.rows);
      await write(rowFormat.lines(pageRows));
      rows += pageRows.length;
      pages++;
      progress(`export: ${rows} rows, ${pages} page${pages === 1 ? '' : 's'}`);
      if (!q.connection) break;
      const info = (root as Record<string, unknown> | null)?.[PAGE_ALIAS] as { endCursor: string | null; hasNextPage: boolean } | undefined;
      if (!info?.hasNextPage || !info.endCursor) break;
      after = info.endCursor;
    }
    out.end();
    await once(out, 'finish');
    if (failure) throw failure;
  } catch (e) {
    out.destroy();
    rmSync(dataFile, { force: true });
    if (process.stderr.isTTY) process.stderr.write('\n');
    if ((e as NodeJS.ErrnoException).code && !(e instanceof CliFailure)) throw new CliFailure(`cannot write ${dataFile}: ${(e as Error).message}`);
    throw e;
  } finally {
    process.removeListener('SIGINT', interrupted);
  }
  const finished = new Date();
  const sha256 = hash.digest('hex');
  const manifest = {
    datagate: { version: datagateVersion() },
    query: queryText,
    variables,
    user: me ? { id: me.id, roles: me.roles } : null,
    gateway: url,
    started: started.toISOString(),
    finished: finished.toISOString(),
    file: path.basename(dataFile),
    format,
    ...(format === 'csv' ? { columns: q.columns.map((c) => c.join('.')) } : {}),
    rows,
    pages,
    sha256,
    lineage: [...lineage.values()],
  };
  const manifestFile = path.join(values.out, 'manifest.json');
  writeFileSync(`${manifestFile}.tmp`, `${JSON.stringify(manifest, null, 2)}\n`);
  renameSync(`${manifestFile}.tmp`, manifestFile);
  if (process.stderr.isTTY) process.stderr.write('\n');
  console.error(`exported ${rows} rows (${pages} page${pages === 1 ? '' : 's'}) to ${dataFile}, sha256 ${sha256}; manifest ${manifestFile}`);
  return 0;
}

/** A progress line: rewritten in place on a terminal, one line per page otherwise. */
function progress(text: string): void {
  process.stderr.write(process.stderr.isTTY ? `\r${text}` : `${text}\n`);
}

function rowsOf(root: Record<string, unknown> | unknown[] | null | undefined, connection: 'edges' | 'nodes' | undefined): unknown[] {
  if (root === null || root === undefined) return [];
  if (connection === 'edges') return ((root as Record<string, unknown>).edges as { node: unknown }[]).map((e) => e.node);
  if (connection === 'nodes') return (root as Record<string, unknown>).nodes as unknown[];
  return Array.isArray(root) ? root : [root];
}

function gatewayUrl(text: string): string {
  try {
    const u = new URL(text);
    if (u.protocol !== 'http:' && u.protocol !== 'https:') throw new Error();
    return u.toString();
  } catch {
    throw new CliFailure(`--url must be an http(s) URL such as ${DEFAULT_URL}, found "${text}"`);
  }
}

function readText(file: string, what: string): string {
  try {
    return readFileSync(file, 'utf8');
  } catch (e) {
    throw new CliFailure(`cannot read the ${what} file ${file}: ${(e as NodeJS.ErrnoException).code === 'ENOENT' ? 'no such file' : (e as Error).message}`);
  }
}

function readVariables(file: string): Record<string, unknown> {
  const text = readText(file, 'variables');
  let v: unknown;
  try {
    v = JSON.parse(text);
  } catch (e) {
    throw new CliFailure(`the variables file ${file} is not JSON: ${(e as Error).message}`);
  }
  if (v === null || typeof v !== 'object' || Array.isArray(v)) throw new CliFailure(`the variables file ${file} must hold a JSON object ({"name": value, …})`);
  return v as Record<string, unknown>;
}

interface Answer {
  data?: Record<string, unknown> | null;
  extensions?: { lineage?: unknown };
}

interface GraphQLErrorBody {
  message?: string;
  path?: (string | number)[];
  extensions?: { code?: string; reason?: string };
}

/** POSTs to the gateway; every way it can go wrong becomes a CliFailure saying what to do. */
function createClient(url: string, token: string) {
  return {
    async post(query: string, variables: Record<string, unknown>): Promise<Answer> {
      let res: Response;
      try {
        res = await fetch(url, {
          method: 'POST',
          headers: { 'content-type': 'application/json', accept: 'application/json', authorization: `Bearer ${token}` },
          body: JSON.stringify({ query, variables }),
          signal: AbortSignal.timeout(REQUEST_TIMEOUT_MS),
        });
      } catch (e) {
        throw new CliFailure(unreachable(url, e));
      }
      const text = await res.text().catch(() => '');
      let body: { data?: Record<string, unknown> | null; errors?: GraphQLErrorBody[]; extensions?: { lineage?: unknown } } | undefined;
      try {
        body = JSON.parse(text);
      } catch {
        body = undefined;
      }
      if (res.status === 401) {
        const err = body?.errors?.[0];
        throw new CliFailure(
          `the gateway refused the token (HTTP 401): ${err?.message ?? 'no reason given'}${err?.extensions?.reason ? ` (${err.extensions.reason})` : ''}. ` +
            'Get a fresh token (npx datagate token <user>) or check that it was minted for this gateway.',
        );
      }
      if (!body || typeof body !== 'object') throw new CliFailure(`${url} answered HTTP ${res.status} without a GraphQL response: is --url the gateway's /graphql endpoint?`);
      if (body.errors?.length) {
        const shown = body.errors.slice(0, 5).map((e) => `${e.message ?? 'error'}${e.path ? ` (at ${e.path.join('.')})` : ''}${e.extensions?.code ? ` [${e.extensions.code}]` : ''}`);
        const more = body.errors.length > 5 ? `; … ${body.errors.length} errors in all` : '';
        throw new CliFailure(`the gateway answered with errors, nothing was exported: ${shown.join('; ')}${more}`);
      }
      if (!res.ok) throw new CliFailure(`${url} answered HTTP ${res.status}`);
      return body;
    },
  };
}

function unreachable(url: string, e: unknown): string {
  const err = e as Error & { cause?: { code?: string } };
  if (err.name === 'TimeoutError') return `the gateway at ${url} did not answer within ${REQUEST_TIMEOUT_MS / 1000}s: try a smaller --page-size, or check the gateway's health`;
  const why = err.cause?.code ?? err.message;
  return `cannot reach the gateway at ${url} (${why}): start it with \`npx datagate serve\` (or \`npm start\`), or point --url / DATAGATE_URL at a running gateway`;
}

/** The version of the datagate that ran the export, from its package.json (src/ and dist/src/ alike). */
function datagateVersion(): string | null {
  for (let dir = __dirname; ; dir = path.dirname(dir)) {
    const file = path.join(dir, 'package.json');
    if (existsSync(file)) {
      try {
        const pkg = JSON.parse(readFileSync(file, 'utf8')) as { name?: string; version?: string };
        if (pkg.name === 'datagate') return pkg.version ?? null;
      } catch {
        return null;
      }
    }
    if (path.dirname(dir) === dir) return null;
  }
}

