import path from 'node:path';
import { seedDemoSource, type DemoSource } from '../../src/demo';
import { createGateway, type Gateway } from '../../src/server';

/**
 * The bundled demo as `npm start` runs it (every source embedded and seeded), with a metadata store
 * of its own so grants made by hand in the demo's file do not leak into the test.
 */
export async function startDemoGateway(opts: { consoleDir?: string; scale?: number } = {}): Promise<{ gw: Gateway; url: string; base: string }> {
  const gw = await createGateway({
    configFile: path.join(__dirname, '../../datagate.yaml'),
    env: { DATAGATE_META_URL: ':memory:' },
    log: () => {},
    consoleDir: opts.consoleDir,
    prepareSources: async (sources) => {
      for (const s of sources.values()) await seedDemoSource(s.knex, s.name as DemoSource, { scale: opts.scale ?? 0.25 });
    },
  });
  const url = await gw.listen(0, '127.0.0.1');
  return { gw, url, base: url.replace(/\/graphql$/, '') };
}
