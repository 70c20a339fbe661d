import { spawn, type ChildProcess } from 'node:child_process';
import path from 'node:path';

const ROOT = path.join(__dirname, '../..');

export interface ServedProcess {
  readonly url: string;
  readonly child: ChildProcess;
  /** Everything the process printed so far. */
  output(): string;
  /** Resolves with the exit code once the process ends. */
  readonly exited: Promise<number | null>;
  /** SIGTERM, then SIGKILL after `graceMs`; resolves with the exit code. */
  stop(graceMs?: number): Promise<number | null>;
}

/**
 * `datagate serve --config <file> --port 0` as a real child process, running the TypeScript sources
 * through swc (no build needed); resolves with its URL once it prints it.
 */
export function serveProcess(configFile: string, env: NodeJS.ProcessEnv = {}, startTimeoutMs = 60_000): Promise<ServedProcess> {
  const child = spawn(
    process.execPath,
    [
      '-r',
      path.join(ROOT, 'test/support/swcRegister.js'),
      '-e',
      `require(${JSON.stringify(path.join(ROOT, 'src/cli/main.ts'))}).main(process.argv.slice(1))`,
      'serve',
      '--config',
      configFile,
      '--port',
      '0',
    ],
    { cwd: path.dirname(configFile), env: { ...process.env, NODE_ENV: 'production', ...env }, stdio: ['ignore', 'pipe', 'pipe'] },
  );
  let out = '';
  child.stdout!.on('data', (c) => (out += String(c)));
  child.stderr!.on('data', (c) => (out += String(c)));
  const exited = new Promise<number | null>((resolve) => child.on('exit', (code) => resolve(code)));
  const stop = async (graceMs = 15_000) => {
    if (child.exitCode !== null) return child.exitCode;
    child.kill('SIGTERM');
    const timer = setTimeout(() => child.kill('SIGKILL'), graceMs);
    const code = await exited;
    clearTimeout(timer);
    return code;
  };
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => {
      child.kill('SIGKILL');
      reject(new Error(`datagate serve did not start in ${startTimeoutMs / 1000} s:\n${out}`));
    }, startTimeoutMs);
    const onData = () => {
      const m = /serving .* at (http:\/\/\S+\/graphql)/.exec(out);
      if (!m) return;
      clearTimeout(timer);
      child.stdout!.off('data', onData);
      resolve({ url: m[1], child, output: () => out, exited, stop });
    };
    child.stdout!.on('data', onData);
    void exited.then((code) => {
      clearTimeout(timer);
      reject(new Error(`datagate serve exited with ${code} before serving:\n${out}`));
    });
  });
}
