import path from 'node:path';
import { parseArgs } from 'node:util';
import { createGateway } from '../server';
import { seedIfEmbedded } from './embeddedDemo';

export async function serve(argv: string[]): Promise<number> {
  const { values } = parseArgs({
    args: argv,
    options: { config: { type: 'string', default: process.env.DATAGATE_CONFIG ?? 'datagate.yaml' }, port: { type: 'string' }, help: { type: 'boolean' } },
  });
  if (values.help) {
    console.log('usage: datagate serve [--config datagate.yaml] [--port 4000]');
    return 0;
  }
  const started = Date.now();
  const gateway = await createGateway({
    configFile: path.resolve(values.config!),
    prepareSources: async (sources, loaded) => {
      if (!loaded.config.demo.seed) return;
      for (const s of sources.values()) await seedIfEmbedded(s, loaded.config.demo.scale, console.log);
    },
  });
  const port = values.port ? Number(values.port) : process.env.PORT ? Number(process.env.PORT) : undefined;
  const url = await gateway.listen(port);
  console.log(`datagate: serving ${[...gateway.runtime.registry.entities.keys()].length} entities from ${gateway.runtime.sources.size} sources at ${url} (ready in ${Date.now() - started} ms)`);
  let closing = false;
  const stop = (signal: string) => {
    if (closing) return;
    closing = true;
    console.log(`datagate: ${signal}, shutting down`);
    gateway.close().then(() => process.exit(0), () => process.exit(1));
  };
  process.on('SIGINT', () => stop('SIGINT'));
  process.on('SIGTERM', () => stop('SIGTERM'));
  return new Promise(() => {});
}
