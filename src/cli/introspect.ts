import { existsSync, mkdirSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { parseArgs } from 'node:util';
import { command, CliFailure, onePositional, parseOrFail } from './command';
import { loadConfig, parseYaml, type SourceConfig } from '../config';
import { ConfigError, isDatagateError } from '../errors';
import { buildModel } from '../model';
import { connectSource, type SourceAdapter } from '../sources';
import { introspectDatabase, toModelYaml } from '../sources/introspect';
import { sqliteFilename } from '../sources/sqlite/connect';

const USAGE = `usage: datagate introspect <source> [--config datagate.yaml] [--out schema/<source>.yaml] [--schema name] [--force]

Reads the tables, views, columns, keys and comments of a live source and writes a draft model for a person to edit.
  --config   deployment file declaring the source (default: $DATAGATE_CONFIG or datagate.yaml)
  --out      file to write (default: standard output); an existing file is kept unless --force
  --schema   PostgreSQL schema (default public), MySQL database (default the url's), SQLite attached database (default main)`;

/** `datagate introspect`: returns the exit code. Progress, warnings and errors go to stderr, the model to --out or stdout. */
export const introspect = command(run);

async function run(argv: string[]): Promise<number> {
  const parsed = parseOrFail(
    () =>
      parseArgs({
        args: argv,
        allowPositionals: true,
        options: {
          config: { type: 'string', short: 'c', default: process.env.DATAGATE_CONFIG ?? 'datagate.yaml' },
          out: { type: 'string', short: 'o' },
          schema: { type: 'string' },
          force: { type: 'boolean', default: false },
          help: { type: 'boolean', short: 'h' },
        },
      }),
    USAGE,
  );
  const { values, positionals } = parsed;
  if (values.help) {
    console.log(USAGE);
    return 0;
  }
  const sourceName = onePositional(positionals, 'source', USAGE);

  const loaded = loadConfig(values.config!);
  const cfg = loaded.config.sources[sourceName];
  const configured = Object.keys(loaded.config.sources);
  if (!cfg)
    throw new CliFailure(
      `unknown source "${sourceName}": ${loaded.file} declares ${configured.length ? configured.map((s) => `"${s}"`).join(', ') : 'no sources'}`,
    );
  if (!cfg.url?.trim())
    throw new CliFailure(
      `source "${sourceName}" has no url in ${loaded.file}, so the gateway runs it embedded and empty: there is nothing to read.\n` +
        `Set sources.${sourceName}.url (or the environment variable it names) to the database you want to describe.`,
    );
  if (values.out && existsSync(values.out) && !values.force)
    throw new CliFailure(`${values.out} exists and may hold your edits: pass --force to overwrite it, or choose another --out`);

  const target = describeTarget(cfg);
  if (cfg.dialect === 'sqlite' || (cfg.dialect === 'mysql' && !/^mysql/i.test(cfg.url!))) {
    const file = sqliteFilename(cfg.url);
    // better-sqlite3 would create an empty database file where none exists.
    if (file !== ':memory:' && !existsSync(file)) throw new CliFailure(`cannot read source "${sourceName}": ${target} does not exist. Check sources.${sourceName}.url in ${loaded.file}.`);
  }

  const adapter = await connectSource(sourceName, cfg);
  quietKnex(adapter);
  try {
    await ping(adapter, sourceName, cfg, target, loaded.file);
    const progress = createProgress(sourceName);
    let source;
    try {
      source = await introspectDatabase(adapter.capabilities.engine, adapter.knex, { schema: values.schema, onProgress: progress.update });
    } catch (e) {
      throw new CliFailure(`reading the catalog of source "${sourceName}" (${target}) failed: ${driverReason(e)}`);
    } finally {
      progress.done();
    }
    if (!source.tables.length)
      throw new CliFailure(`source "${sourceName}" (${target}) has no tables or views in schema ${source.schema}${values.schema ? '' : '; name another with --schema'}`);

    const model = toModelYaml(source, sourceName, { owner: cfg.owner });
    for (const w of model.warnings) console.error(`warning: ${w}`);
    const outName = values.out ?? '<stdout>';
    // The draft must load as it is; a problem here is a bug in introspection, reported rather than hidden.
    let loads = true;
    try {
      buildModel([parseYaml(outName, model.text)], configured);
    } catch (e) {
      loads = false;
      console.error(`error: the draft does not load as written (please report this):\n${(e as Error).message}`);
    }
    if (values.out) {
      mkdirSync(path.dirname(path.resolve(values.out)), { recursive: true });
      writeFileSync(values.out, model.text);
    } else {
      process.stdout.write(model.text);
    }
    const columnsLeftOut = source.tables.reduce((n, t) => n + t.columns.filter((c) => c.unknownType).length, 0);
    console.error(
      `introspected ${sourceName}: ${model.entities.length} entit${model.entities.length === 1 ? 'y' : 'ies'} from ${source.tables.length} tables and views` +
        (source.tables.length > model.entities.length ? `, ${source.tables.length - model.entities.length} left out` : '') +
        (columnsLeftOut ? `, ${columnsLeftOut} column${columnsLeftOut === 1 ? '' : 's'} of unsupported types left out` : '') +
        (values.out ? ` → ${values.out}` : ''),
    );
    return loads ? 0 : 1;
  } finally {
    await adapter.close().catch(() => undefined);
  }
}

async function ping(adapter: SourceAdapter, name: string, cfg: SourceConfig, target: string, configFile: string): Promise<void> {
  try {
    await adapter.ping();
  } catch (e) {
    const code = isDatagateError(e) ? e.code : undefined;
    const check =
      code === 'SOURCE_AUTH_FAILED'
        ? `the server refused the user, password or database name: check sources.${name}.url in ${configFile}`
        : code === 'SOURCE_TIMEOUT'
          ? `it did not answer in time: check that the server is up and not overloaded`
          : `check that the database server is running and reachable from here, and the host and port in sources.${name}.url (${configFile})`;
    throw new CliFailure(`cannot connect to source "${name}" (${target})${driverCode(e)}: ${check}`);
  }
}

/**
 * knex prints pool warnings such as `Acquire connection error` with a stack to stdout, where the model goes:
 * this command says what failed itself, once, on stderr.
 */
function quietKnex(adapter: SourceAdapter): void {
  const quiet = () => undefined;
  (adapter.knex.client as { logger: unknown }).logger = { debug: quiet, warn: quiet, error: quiet, deprecate: quiet };
}

/** Engine, host, port and database of a source, never its user or password. */
function describeTarget(cfg: SourceConfig): string {
  const url = cfg.url!.trim();
  if (cfg.dialect === 'sqlite' || (cfg.dialect === 'mysql' && !/^mysql/i.test(url))) return `SQLite file ${sqliteFilename(url)}`;
  try {
    const u = new URL(url);
    const port = u.port || (cfg.dialect === 'postgres' ? '5432' : '3306');
    const db = decodeURIComponent(u.pathname.replace(/^\//, ''));
    return `${cfg.dialect === 'postgres' ? 'PostgreSQL' : 'MySQL'} at ${u.hostname}:${port}${db ? `, database ${db}` : ''}`;
  } catch {
    return `${cfg.dialect} (url not readable as a URL)`;
  }
}

/** The driver's error code (ECONNREFUSED, 28P01, ER_ACCESS_DENIED_ERROR…): safe to show, unlike its message. */
function driverCode(e: unknown): string {
  const cause = (isDatagateError(e) ? e.cause : e) as { code?: unknown; errors?: { code?: unknown }[] } | undefined;
  const code = cause?.code ?? cause?.errors?.[0]?.code;
  return typeof code === 'string' && code ? ` [${code}]` : '';
}

function driverReason(e: unknown): string {
  const cause = (isDatagateError(e) && e.cause ? e.cause : e) as Error;
  return `${(cause?.message ?? String(e)).split('\n')[0]}${driverCode(e)}`;
}

function createProgress(source: string): { update: (done: number, total: number) => void; done: () => void } {
  const tty = process.stderr.isTTY;
  let shown = false;
  return {
    update(done, total) {
      const line = `introspecting ${source}: ${done}/${total} tables…`;
      if (tty) process.stderr.write(`\r${line}\x1b[K`);
      else process.stderr.write(`${line}\n`);
      shown = true;
    },
    done() {
      if (tty && shown) process.stderr.write('\n');
    },
  };
}
