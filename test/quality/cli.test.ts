import path from 'node:path';
import { main } from '../../src/cli/main';
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
