import path from 'node:path';
import { parseArgs } from 'node:util';
import { loadConfig } from '../config';
import { isDatagateError } from '../errors';
import { loadModel } from '../model';
import { retentionCondition } from '../planning';
import { connectSources } from '../sources';
import { command, CliFailure, parseOrFail } from './command';
import { seedIfEmbedded } from './embeddedDemo';

const USAGE = `usage: datagate retention --report [--config datagate.yaml] [--now ISO-8601]

Counts, per entity with a retention rule (schema/*.yaml, \`retention:\`), the rows past it in its
source: rows the gateway no longer returns and the owners should purge. Rows whose retention column
is NULL are counted apart: the gateway does not return them either.
  --config   deployment file (default: $DATAGATE_CONFIG or datagate.yaml)
  --now      the time retention is measured from (default: now)`;

/** `datagate retention --report`: returns the exit code (0; 1 on bad arguments or an unreachable source). */
export const retention = command(run);

async function run(argv: string[]): Promise<number> {
  const { values } = parseOrFail(
    () =>
      parseArgs({
        args: argv,
        options: {
          report: { type: 'boolean', default: false },
          config: { type: 'string', default: process.env.DATAGATE_CONFIG ?? 'datagate.yaml' },
          now: { type: 'string' },
          help: { type: 'boolean', short: 'h' },
        },
      }),
    USAGE,
  );
  if (values.help) {
    console.log(USAGE);
    return 0;
  }
  if (!values.report) throw new CliFailure(`nothing to do: datagate only reports (--report); purging is the owners' decision\n\n${USAGE}`);
  const now = values.now === undefined ? new Date() : new Date(values.now);
  if (Number.isNaN(now.getTime())) throw new CliFailure(`--now: expected an ISO-8601 time such as 2026-11-01T00:00:00Z, found "${values.now}"`);
  const loaded = loadConfig(path.resolve(values.config!));
  const registry = loadModel(path.resolve(loaded.dir, loaded.config.model), Object.keys(loaded.config.sources));
  const entities = [...registry.entities.values()].filter((e) => e.retention);
  if (!entities.length) {
    console.error('datagate retention: no entity declares a retention rule');
    return 0;
  }
  const used = new Set(entities.map((e) => e.source));
  const sources = await connectSources(Object.fromEntries(Object.entries(loaded.config.sources).filter(([n]) => used.has(n))));
  try {
    if (loaded.config.demo.seed) for (const s of sources.values()) await seedIfEmbedded(s, loaded.config.demo.scale);
    const lines = [['entity', 'source.table', 'keep', 'cut-off', 'rows', 'past retention', 'no date']];
    let failed = false;
    for (const [i, e] of entities.entries()) {
      process.stderr.write(`[${i + 1}/${entities.length}] ${e.name} (${e.source}.${e.table})\n`);
      const r = e.retention!;
      const adapter = sources.get(e.source)!;
      const kept = retentionCondition(e, now);
      const cutoff = kept.kind === 'compare' ? kept.value : null;
      try {
        const count = async (where: Parameters<typeof adapter.execute>[0]['where']) => (await adapter.execute({ kind: 'count', entity: e, where }))[0].count as number;
        const [all, past, undated] = await Promise.all([
          count({ kind: 'true' }),
          count({ kind: 'compare', op: 'lt', field: r.column, value: cutoff }),
          count({ kind: 'isNull', field: r.column, isNull: true }),
        ]);
        lines.push([e.name, `${e.source}.${e.table}`, r.keep, cutoff instanceof Date ? cutoff.toISOString() : String(cutoff), String(all), String(past), String(undated)]);
      } catch (err) {
        if (!isDatagateError(err)) throw err;
        failed = true;
        lines.push([e.name, `${e.source}.${e.table}`, r.keep, '', '', `error: ${err.code}`, '']);
      }
    }
    const widths = lines[0].map((_, c) => Math.max(...lines.map((l) => l[c].length)));
    for (const l of lines) console.log(l.map((cell, c) => (c >= 4 ? cell.padStart(widths[c]) : cell.padEnd(widths[c]))).join('  ').trimEnd());
    return failed ? 1 : 0;
  } finally {
    await Promise.all([...sources.values()].map((s) => s.close()));
  }
}
