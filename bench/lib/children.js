'use strict';
/**
 * Child processes of the bench: servers and the load generator, each pinned to a core with
 * taskset. Every child is tracked, and killed when the bench ends, fails or is interrupted.
 */
const { spawn } = require('node:child_process');
const fs = require('node:fs');
const path = require('node:path');
const { log } = require('./log');
const { SERVER_NODE_ARGS } = require('./settings');

const live = new Set();

function track(child) {
  live.add(child);
  child.once('exit', () => live.delete(child));
  return child;
}

function killAll(signal = 'SIGKILL') {
  for (const c of live) {
    try {
      c.kill(signal);
    } catch {
      /* already gone */
    }
  }
}

let installed = false;
let interrupted = null;
/** The signal that is stopping the bench, if any: failures that follow it are its consequence. */
const interruptedBy = () => interrupted;
/** Kill every child on exit, Ctrl-C, SIGTERM and uncaught errors. */
function installCleanup() {
  if (installed) return;
  installed = true;
  process.on('exit', () => killAll('SIGKILL'));
  for (const sig of ['SIGINT', 'SIGTERM', 'SIGHUP']) {
    process.on(sig, () => {
      interrupted = sig;
      log(`${sig}: stopping ${live.size} child process(es)`);
      killAll('SIGTERM');
      setTimeout(() => process.exit(130), 300).unref();
      setTimeout(() => killAll('SIGKILL'), 250).unref();
    });
  }
}

/** `taskset -c <cpu> node <nodeArgs> <script> <args>`; the child's stdout goes to our stderr unless piped. */
function spawnPinned(cpu, script, { nodeArgs = [], args = [], env = process.env, ipc = false, stdout = 2 } = {}) {
  const stdio = ['ignore', stdout, 'inherit'];
  if (ipc) stdio.push('ipc');
  return track(spawn('taskset', ['-c', String(cpu), process.execPath, ...nodeArgs, script, ...args], { env, stdio }));
}

function waitExit(child) {
  return child.exitCode !== null || child.signalCode !== null
    ? Promise.resolve({ code: child.exitCode, signal: child.signalCode })
    : new Promise((resolve) => child.once('exit', (code, signal) => resolve({ code, signal })));
}

/**
 * Starts a server child (bench/servers/*.js) pinned to `cpu`; resolves once it reports its URL.
 * Returns { url, pid, stop() }.
 */
async function startServer(name, script, { cpu, env, nodeArgs = [], timeoutMs = 120_000 }) {
  // Every server runs with the same V8 settings (settings.js SERVER_NODE_ARGS), then its own flags.
  const child = spawnPinned(cpu, script, { env, nodeArgs: [...SERVER_NODE_ARGS, ...nodeArgs], ipc: true });
  const ready = await new Promise((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`${name} did not report ready within ${timeoutMs / 1000} s`)), timeoutMs);
    child.once('message', (m) => {
      clearTimeout(timer);
      if (m && m.type === 'ready') resolve(m);
      else reject(new Error(`${name}: unexpected first message ${JSON.stringify(m)}`));
    });
    child.once('exit', (code, signal) => {
      clearTimeout(timer);
      reject(new Error(`${name} exited before it was ready (code ${code}, signal ${signal})`));
    });
    child.once('error', (e) => {
      clearTimeout(timer);
      reject(e);
    });
  }).catch(async (e) => {
    child.kill('SIGKILL');
    await waitExit(child);
    throw e;
  });
  if (ready.pid !== child.pid) log(`${name}: note: server pid ${ready.pid} differs from the spawned pid ${child.pid}`);
  return {
    name,
    url: ready.url,
    pid: ready.pid,
    child,
    /** Sends `msg` and resolves with the child's next message of type `replyType`. */
    request(msg, replyType, timeoutMs = 60_000) {
      return new Promise((resolve, reject) => {
        const timer = setTimeout(() => reject(new Error(`${name}: no ${replyType} within ${timeoutMs / 1000} s`)), timeoutMs);
        const onMessage = (m) => {
          if (!m || m.type !== replyType) return;
          clearTimeout(timer);
          child.off('message', onMessage);
          resolve(m);
        };
        child.on('message', onMessage);
        child.send(msg);
      });
    },
    /** SIGTERM (the child closes and exits normally), SIGKILL after 10 s. */
    async stop() {
      if (child.exitCode !== null || child.signalCode !== null) return;
      child.kill('SIGTERM');
      const killer = setTimeout(() => child.kill('SIGKILL'), 10_000);
      const r = await waitExit(child);
      clearTimeout(killer);
      return r;
    },
  };
}

/**
 * Runs the load generator pinned to `cpu`; resolves with its JSON result. `onPhase('measure-start' |
 * 'measure-end')` runs synchronously when the measured run starts and ends. `script`: bench/loadgen.js
 * (autocannon, closed loop) or bench/openLoop.js (a fixed rate).
 */
async function runLoad(job, cpu, onPhase = () => {}, script = 'loadgen.js') {
  const child = spawnPinned(cpu, path.join(__dirname, '..', script), { args: [JSON.stringify(job)], stdout: 'pipe', ipc: true });
  child.on('message', (m) => m && m.type && onPhase(m.type));
  let out = '';
  child.stdout.on('data', (d) => (out += d));
  const { code, signal } = await waitExit(child);
  if (code !== 0) throw new Error(`load generator failed (code ${code}, signal ${signal})`);
  return JSON.parse(out.trim().split('\n').pop());
}

const CLK_TCK = (() => {
  try {
    return Number(require('node:child_process').execFileSync('getconf', ['CLK_TCK'], { encoding: 'utf8' }).trim()) || 100;
  } catch {
    return 100;
  }
})();

/** CPU time (user + system) in ms from the text of /proc/<pid>/stat. */
function statCpuMs(stat) {
  // Fields after the command name (which may hold spaces) start at state; utime and stime are fields 14 and 15.
  const f = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  return ((Number(f[11]) + Number(f[12])) * 1000) / CLK_TCK;
}

/** CPU time (user + system) a live process has used, in ms. */
function cpuMs(pid) {
  return statCpuMs(fs.readFileSync(`/proc/${pid}/stat`, 'utf8'));
}

/**
 * CPU time (user + system) that the database servers' processes (postgres, mariadbd, mysqld) have
 * used, in ms: PostgreSQL's backends start and end with connections, so a difference of two readings
 * misses the work of a backend that ended between them (the bench's pools keep theirs open).
 */
function databaseCpuMs() {
  let total = 0;
  for (const entry of fs.readdirSync('/proc')) {
    if (!/^\d+$/.test(entry)) continue;
    let stat;
    try {
      stat = fs.readFileSync(`/proc/${entry}/stat`, 'utf8');
    } catch {
      continue; // ended meanwhile
    }
    const comm = stat.slice(stat.indexOf('(') + 1, stat.lastIndexOf(')'));
    if (comm !== 'postgres' && comm !== 'mariadbd' && comm !== 'mysqld') continue;
    total += statCpuMs(stat);
  }
  return total;
}

/** Peak resident set size (VmHWM) of a live process, in KiB. */
function peakRssKb(pid) {
  const m = /VmHWM:\s+(\d+)\s+kB/.exec(fs.readFileSync(`/proc/${pid}/status`, 'utf8'));
  return m ? Number(m[1]) : null;
}

module.exports = { installCleanup, interruptedBy, startServer, runLoad, peakRssKb, cpuMs, databaseCpuMs, killAll, live };
