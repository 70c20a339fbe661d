import { PGlite } from '@electric-sql/pglite';
test('pglite', async () => {
  const p = new PGlite();
  const r = await p.query('select 1 as x');
  expect(r.rows).toEqual([{ x: 1 }]);
  await p.exec(`create table t (c xml)`);
  await p.close();
});
