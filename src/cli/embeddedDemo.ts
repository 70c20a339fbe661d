import { DEMO_SOURCES, seedDemoSource } from '../demo';
import type { SourceAdapter } from '../sources';

/** Embedded demo sources start empty at every start: fill them with the demo's data (progress on `write`). */
export async function seedIfEmbedded(s: SourceAdapter, scale: number, write: (line: string) => void = (l) => process.stderr.write(l + '\n')): Promise<void> {
  if (!s.capabilities.embedded || !(DEMO_SOURCES as readonly string[]).includes(s.name)) return;
  const t = Date.now();
  const result = await seedDemoSource(s.knex, s.name as (typeof DEMO_SOURCES)[number], { scale });
  const rows = Object.values(result.tables).reduce((a, b) => a + b, 0);
  write(`datagate: seeded embedded ${s.name} (${s.capabilities.engine}) with ${rows} demo rows in ${Date.now() - t} ms`);
}
