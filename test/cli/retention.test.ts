import path from 'node:path';
import { main } from '../../src/cli/main';
import { createDemoDataset } from '../../src/demo';
import { runCli } from '../support/cli';

const CONFIG = path.join(__dirname, '../../datagate.yaml');

const run = (argv: string[]) => runCli(main, argv);

test('retention --report counts, per entity, the rows past its rule, as the demo data has them', async () => {
  const r = await run(['retention', '--report', '--config', CONFIG, '--now', '2029-03-01T00:00:00Z']);
  expect(r.code).toBe(0);
  expect(r.stderr).toMatch(/\[1\/2\] Lead/);
  const row = (entity: string) => r.stdout.split('\n').find((l) => l.startsWith(entity))!.trim().split(/\s+/);
  const [, , keep, cutoff, total, past, undated] = row('Lead');
  expect(keep).toBe('3y');
  const leads = [...createDemoDataset({ scale: 1 }).rows('leads')];
  const expected = leads.filter((l) => new Date(l.created_at as Date).getTime() < new Date(cutoff).getTime()).length;
  expect(Number(total)).toBe(leads.length);
  expect(Number(past)).toBe(expected);
  expect(expected).toBeGreaterThan(0);
  expect(Number(undated)).toBe(0);
  expect(row('Order')[2]).toBe('10y');
}, 120_000);

test('without --report it refuses and says why', async () => {
  const r = await run(['retention', '--config', CONFIG]);
  expect(r.code).toBe(1);
  expect(r.stderr).toMatch(/only reports \(--report\)/);
});
