import { mkdtempSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { main } from '../../src/cli/main';
import { openStore, qualityHistory } from '../../src/store';
import { runCli } from '../support/cli';

const DEMO_CONFIG = path.resolve(__dirname, '..', '..', 'datagate.yaml');
/** The demo's data is generated up to this date (src/demo DEMO_REFERENCE_DATE); its freshness checks allow 1d. */
const DEMO_NOW = '2026-11-01T12:00:00Z';

const run = (argv: string[]) => runCli(main, ['check', ...argv]);

describe('datagate check, on the embedded demo', () => {
  test('every demo check passes at the demo reference date: exit 0, the table on stdout, progress on stderr', async () => {
    const r = await run(['--config', DEMO_CONFIG, '--now', DEMO_NOW]);
    expect(r.stdout).toMatch(/^entity\s+check\s+observed\s+passed/);
    expect(r.stdout).toMatch(/^Customer\s+notNull\(email\)\s+97\.75%\s+yes/m);
    expect(r.stdout).toMatch(/^Consent\s+unique\(customer_id, channel\)\s+0\s+yes/m);
    expect(r.stdout).toContain('21 passed, 0 failed of 21 checks');
    expect(r.stderr).toContain('[21/21]');
    expect(r.code).toBe(0);
  }, 120_000);

  test('weeks after the reference date the demo is stale: Order freshness fails, exit 1', async () => {
    const r = await run(['--config', DEMO_CONFIG, '--entity', 'Order', '--now', '2026-11-20T00:00:00Z']);
    expect(r.stdout).toMatch(/^Order\s+freshness\(created_at\)\s+age 19d 33m\s+NO/m);
    expect(r.stdout).toContain('3 passed, 1 failed of 4 checks');
    expect(r.code).toBe(1);
  });

  test('an unknown entity is an error listing the known ones; no source is opened', async () => {
    const r = await run(['--config', DEMO_CONFIG, '--entity', 'Nope']);
    expect(r.code).toBe(1);
    expect(r.stderr).toContain('unknown entity "Nope"; the model has Campaign, Consent, Customer, Lead, Order, OrderLine, Product, SalesRep');
    expect(r.stderr).not.toContain('seeded');
  });

  test('a malformed --now is refused', async () => {
    const r = await run(['--config', DEMO_CONFIG, '--now', 'yesterday']);
    expect(r.code).toBe(1);
    expect(r.stderr).toContain('--now: expected an ISO-8601 time');
  });
});

describe('datagate check records its results in the metadata store', () => {
  const dir = mkdtempSync(path.join(os.tmpdir(), 'datagate-check-'));
  const file = path.join(dir, 'meta.sqlite');
  const saved = process.env.DATAGATE_META_URL;
  // The demo's datagate.yaml reads metadata.url from DATAGATE_META_URL.
  beforeAll(() => void (process.env.DATAGATE_META_URL = `sqlite:${file}`));
  afterAll(() => {
    if (saved === undefined) delete process.env.DATAGATE_META_URL;
    else process.env.DATAGATE_META_URL = saved;
  });
  const history = async () => {
    const store = await openStore({ url: `sqlite:${file}`, dir });
    try {
      return await qualityHistory(store, { entity: 'Product' });
    } finally {
      await store.close();
    }
  };

  test('a run is added to the history the server shows; --no-record and --now add nothing', async () => {
    const r = await run(['--config', DEMO_CONFIG, '--entity', 'Product']);
    expect(r.code).toBe(0);
    expect(r.stderr).toContain(`recorded 2 results in ${file}`);
    const recorded = await history();
    expect(recorded.map((x) => [x.checkName, x.kind, x.passed, x.observed]).sort()).toEqual([
      ['range(price)', 'range', true, 0],
      ['unique(sku)', 'unique', true, 0],
    ]);
    expect(recorded[0].at.getTime()).toBeGreaterThan(Date.now() - 60_000);
    for (const extra of [['--no-record'], ['--now', DEMO_NOW]]) {
      const again = await run(['--config', DEMO_CONFIG, '--entity', 'Product', ...extra]);
      expect(again.code).toBe(0);
      expect(again.stderr).not.toContain('recorded');
    }
    expect(await history()).toHaveLength(2);
  }, 60_000);
});
