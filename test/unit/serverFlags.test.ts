import { spawnSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import path from 'node:path';

/**
 * The server's V8 flags (README, Operations, Memory) are written in four places: the shebang of
 * bin/datagate.js, `npm start`, the Dockerfile, and the bench's default for every server it starts.
 * They must say the same thing, and this Node must accept them.
 */
const ROOT = path.join(__dirname, '..', '..');
const read = (f: string) => readFileSync(path.join(ROOT, f), 'utf8');

/** The shebang's node flags: `#!/usr/bin/env -S node --a --b`. */
function shebangFlags(): string[] {
  const first = read('bin/datagate.js').split('\n')[0];
  const m = /^#!\/usr\/bin\/env -S node((?: --[\w-]+(?:=\S+)?)*)$/.exec(first);
  if (!m) throw new Error(`bin/datagate.js: unexpected first line ${JSON.stringify(first)}`);
  return m[1].trim().split(/\s+/);
}

describe("the server's node flags", () => {
  const flags = shebangFlags();

  test('the shebang sets the young generation and turns allocation-site pretenuring off', () => {
    expect(flags).toEqual(['--max-semi-space-size=64', '--no-allocation-site-pretenuring']);
  });

  test('npm start runs the server with the same flags', () => {
    const start = (JSON.parse(read('package.json')) as { scripts: Record<string, string> }).scripts.start;
    expect(start).toContain(`node ${flags.join(' ')} bin/datagate.js serve`);
  });

  test("the Dockerfile gives the same flags: the young generation by NODE_OPTIONS, pretenuring (refused there) on serve's command line", () => {
    const docker = read('Dockerfile');
    expect(docker).toMatch(/^ENV NODE_OPTIONS=--max-semi-space-size=64$/m);
    expect(docker).toMatch(/node --no-allocation-site-pretenuring bin\/datagate\.js serve/);
  });

  test("the bench's servers run with them by default", () => {
    const before = process.env.BENCH_NODE_ARGS;
    delete process.env.BENCH_NODE_ARGS;
    try {
      jest.isolateModules(() => {
        const settings = require(path.join(ROOT, 'bench', 'lib', 'settings.js')) as { SERVER_NODE_ARGS: string[] };
        expect(settings.SERVER_NODE_ARGS).toEqual(flags);
      });
    } finally {
      if (before !== undefined) process.env.BENCH_NODE_ARGS = before;
    }
  });

  test('this node accepts them, and refuses pretenuring in NODE_OPTIONS (why the Dockerfile passes it on the command line)', () => {
    const ok = spawnSync(process.execPath, [...flags, '-e', 'process.exit(0)'], { encoding: 'utf8' });
    expect(ok.stderr).toBe('');
    expect(ok.status).toBe(0);
    const viaEnv = spawnSync(process.execPath, ['-e', 'process.exit(0)'], { encoding: 'utf8', env: { ...process.env, NODE_OPTIONS: '--no-allocation-site-pretenuring' } });
    expect(viaEnv.status).not.toBe(0);
    expect(viaEnv.stderr).toMatch(/not allowed in NODE_OPTIONS/);
  });
});
