import path from 'node:path';
import { parseArgs } from 'node:util';
import { loadConfig } from '../config';
import { DEMO_SOURCES, demoTablesOf, seedDemoSource, type DemoSource } from '../demo';
import { connectSource } from '../sources';

const USAGE = `usage: datagate seed [--config datagate.yaml] [--source NAME] [--scale 1] [--if-empty]

Creates the demo's tables in each demo source (crm, sales, marketing) that datagate.yaml
configures, and fills them with deterministic demo data. Existing demo tables are REPLACED,
unless --if-empty is given, which leaves a source alone when its tables already hold rows.`;

export async function seed(argv: string[]): Promise<number> {
  const { values } = parseArgs({
    args: argv,
    options: {
      config: { type: 'string', default: process.env.DATAGATE_CONFIG ?? 'datagate.yaml' },
      source: { type: 'string', multiple: true },
      scale: { type: 'string' },
      'if-empty': { type: 'boolean', default: false },
      help: { type: 'boolean' },
    },
  });
  if (values.help) {
    console.log(USAGE);
    return 0;
  }
  const { config } = loadConfig(path.resolve(values.config!));
  const scale = values.scale ? Number(values.scale) : config.demo.scale;
  if (!(scale > 0)) {
    console.error(`--scale must be a positive number, found ${values.scale}`);
    return 1;
  }
  const wanted = values.source ?? Object.keys(config.sources).filter((s) => (DEMO_SOURCES as readonly string[]).includes(s));
  for (const name of wanted) {
    const cfg = config.sources[name];
    if (!cfg || !(DEMO_SOURCES as readonly string[]).includes(name)) {
      console.error(`"${name}" is not a demo source configured in datagate.yaml; demo sources: ${DEMO_SOURCES.join(', ')}`);
      return 1;
    }
    if (!cfg.url) {
      console.error(`seed: ${name} has no url, so it runs embedded and is seeded at every start; skipping`);
      continue;
    }
    const source = await connectSource(name, cfg);
    try {
      if (values['if-empty'] && (await hasRows(source.knex, name as DemoSource))) {
        console.error(`seed: ${name} already holds demo data; leaving it (drop --if-empty to replace it)`);
        continue;
      }
      const result = await seedDemoSource(source.knex, name as DemoSource, { scale, onProgress: (m) => console.error(`seed: ${m}`) });
      console.error(`seed: ${name} done in ${result.ms} ms`);
    } catch (e) {
      const code = (e as { code?: string }).code;
      console.error(`seed: could not seed ${name} (${code ?? (e as Error).message}). Check that its server runs and that the url in datagate.yaml (or its env var) is right.`);
      return 1;
    } finally {
      await source.close();
    }
  }
  return 0;
}

async function hasRows(knex: import('knex').Knex, source: DemoSource): Promise<boolean> {
  const first = demoTablesOf(source)[0].name;
  if (!(await knex.schema.hasTable(first))) return false;
  const [row] = await knex(first).count({ n: '*' });
  return Number(row.n) > 0;
}
