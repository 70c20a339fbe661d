import path from 'node:path';
import { parseArgs } from 'node:util';
import { loadConfig } from '../config';
import { isDatagateError } from '../errors';
import { formatResultsTable, planChecks, recordResults, runChecks, toRecord } from '../governance/quality';
import { loadModel } from '../model';
import { connectSources, type SourceAdapter } from '../sources';
import { openMetadataStore } from '../store/openMetadataStore';
import { seedIfEmbedded } from './embeddedDemo';
import { command, CliFailure, parseOrFail } from './command';

const USAGE = `usage: datagate check [--config datagate.yaml] [--entity NAME] [--now ISO-8601] [--no-record]

Runs the quality checks the model declares (schema/*.yaml, \`checks:\`), each measured in its source's database.
Progress goes to stderr, the results table to stdout; the exit code is 1 when a check fails, 0 otherwise.
  --config   deployment file (default: $DATAGATE_CONFIG or datagate.yaml)
  --entity   only this entity's checks
  --now      reference time for freshness checks (default: now), e.g. the demo's 2026-11-01T00:00:00Z
  --no-record  do not add the results to the quality history in the metadata store (metadata.url,
             else $DATAGATE_META_URL, else datagate-meta.sqlite next to datagate.yaml), which the server
             shows; a run with --now is never recorded`;

/** `datagate check`: returns the exit code. */
export const check = command(run);

async function run(argv: string[]): Promise<number> {
  const { values, positionals } = parseOrFail(
    () =>
      parseArgs({
        args: argv,
        allowPositionals: true,
        options: {
          config: { type: 'string', default: process.env.DATAGATE_CONFIG ?? 'datagate.yaml' },
          entity: { type: 'string' },
          now: { type: 'string' },
          'no-record': { type: 'boolean', default: false },
          help: { type: 'boolean', short: 'h' },
        },
      }),
    USAGE,
  );
  if (values.help) {
    console.log(USAGE);
    return 0;
  }
  if (positionals.length) throw new CliFailure(`unexpected argument "${positionals[0]}" (name an entity with --entity)\n\n${USAGE}`);
  let now: Date | undefined;
  if (values.now !== undefined) {
    now = new Date(values.now);
    if (Number.isNaN(now.getTime())) throw new CliFailure(`--now: expected an ISO-8601 time such as 2026-11-01T00:00:00Z, found "${values.now}"`);
  }
  const loaded = loadConfig(path.resolve(values.config!));
  const registry = loadModel(path.resolve(loaded.dir, loaded.config.model), Object.keys(loaded.config.sources));
  let planned;
  try {
    planned = planChecks(registry, values.entity);
  } catch (e) {
    if (isDatagateError(e)) throw new CliFailure(e.message);
    throw e;
  }
  if (!planned.length) {
    console.error(`datagate check: no checks declared${values.entity ? ` on ${values.entity}` : ''}`);
    return 0;
  }
  // A run at another --now is a what-if, not a measure of today's data: it stays out of the history.
  // The store opens first: a history that cannot be written stops the command before any check runs.
  const store = values['no-record'] || now ? null : await openMetadataStore(loaded, process.env, () => {});
  const used = new Set(planned.flatMap((p) => [p.entity.source, ...(p.spec.kind === 'references' ? [registry.entity(p.spec.entity).source] : [])]));
  let sources: ReadonlyMap<string, SourceAdapter> = new Map();
  try {
    sources = await connectSources(Object.fromEntries(Object.entries(loaded.config.sources).filter(([name]) => used.has(name))));
    if (loaded.config.demo.seed) for (const s of sources.values()) await seedIfEmbedded(s, loaded.config.demo.scale);
    const at = now ?? new Date();
    const results = await runChecks(registry, sources, {
      entity: values.entity,
      now: at,
      onProgress: ({ done, total, result }) =>
        process.stderr.write(`[${done}/${total}] ${result.entity} ${result.check}: ${result.error ? 'ERROR' : result.passed ? 'passed' : 'FAILED'} (${result.ms} ms)\n`),
    });
    console.log(formatResultsTable(results));
    if (store) {
      await recordResults(store, results.map((r) => toRecord(r, at)));
      console.error(`datagate check: recorded ${results.length} results in ${store.location}`);
    }
    return results.every((r) => r.passed) ? 0 : 1;
  } finally {
    await Promise.all([...sources.values()].map((s) => s.close()));
    await store?.close();
  }
}
