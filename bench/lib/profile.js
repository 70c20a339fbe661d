'use strict';
/**
 * Summarises a V8 .cpuprofile (node --cpu-prof): self time per function and per package/part,
 * so "where does datagate's time go" reads in a few lines.
 */
const fs = require('node:fs');
const path = require('node:path');

/** Which part of the stack a script belongs to: a node_modules package, a datagate folder, or node. */
function partOf(url, root) {
  if (!url) return '(native/V8)';
  let u = url.startsWith('file://') ? decodeURIComponent(url.slice(7)) : url;
  if (u.startsWith('node:')) return 'node:' + u.slice(5).split('/')[0];
  const nm = u.lastIndexOf('node_modules/');
  if (nm >= 0) {
    const rest = u.slice(nm + 13).split('/');
    return rest[0].startsWith('@') ? `${rest[0]}/${rest[1]}` : rest[0];
  }
  const m = /(?:^|\/)dist\/(src\/[^/]+|resolvers)\//.exec(u);
  if (m) return `datagate ${m[1]}`;
  if (root && u.startsWith(root)) u = u.slice(root.length + 1);
  return u;
}

function shortUrl(url, root) {
  if (!url) return '';
  let u = url.startsWith('file://') ? decodeURIComponent(url.slice(7)) : url;
  const nm = u.lastIndexOf('node_modules/');
  if (nm >= 0) return u.slice(nm + 13);
  const d = u.search(/(?:^|\/)dist\/(src|resolvers)\//);
  if (d >= 0) return u.slice(u.indexOf('dist/', d));
  if (root && u.startsWith(root)) return u.slice(root.length + 1);
  return u;
}

function summarizeProfile(file, { root, top = 30 } = {}) {
  const prof = JSON.parse(fs.readFileSync(file, 'utf8'));
  const byId = new Map(prof.nodes.map((n) => [n.id, n]));
  const selfUs = new Map();
  for (let i = 0; i < prof.samples.length; i++) {
    const id = prof.samples[i];
    selfUs.set(id, (selfUs.get(id) ?? 0) + (prof.timeDeltas[i] ?? 0));
  }
  const total = [...selfUs.values()].reduce((a, b) => a + b, 0);
  const fns = new Map();
  const parts = new Map();
  for (const [id, us] of selfUs) {
    const n = byId.get(id);
    const cf = n.callFrame;
    const name = cf.functionName || '(anonymous)';
    const key = `${name} ${shortUrl(cf.url, root)}:${cf.lineNumber + 1}`;
    const f = fns.get(key) ?? { name, where: cf.url ? `${shortUrl(cf.url, root)}:${cf.lineNumber + 1}` : '', part: partOf(cf.url, root), us: 0 };
    f.us += us;
    fns.set(key, f);
    const p = ['(idle)', '(program)', '(garbage collector)'].includes(name) ? name : partOf(cf.url, root);
    parts.set(p, (parts.get(p) ?? 0) + us);
  }
  // Busy time attributed to the innermost datagate function on the stack (dist/src, resolvers):
  // what each part of datagate costs, libraries it calls included.
  const parent = new Map();
  for (const n of prof.nodes) for (const c of n.children ?? []) parent.set(c, n.id);
  const owner = new Map();
  const ownerOf = (id) => {
    if (owner.has(id)) return owner.get(id);
    let cur = id;
    let found = null;
    while (cur !== undefined) {
      const cf = byId.get(cur).callFrame;
      const u = shortUrl(cf.url, root);
      if (/^dist\/(src|resolvers)\//.test(u)) {
        found = `${cf.functionName || '(anonymous)'} ${u}:${cf.lineNumber + 1}`;
        break;
      }
      cur = parent.get(cur);
    }
    owner.set(id, found);
    return found;
  };
  const attributed = new Map();
  for (const [id, us] of selfUs) {
    const name = byId.get(id).callFrame.functionName;
    if (['(idle)', '(program)', '(garbage collector)'].includes(name)) continue;
    const o = ownerOf(id) ?? '(no datagate frame: HTTP, Apollo, graphql-js, drivers, event loop)';
    attributed.set(o, (attributed.get(o) ?? 0) + us);
  }
  const idle = parts.get('(idle)') ?? 0;
  const busy = total - idle;
  const pct = (us, of) => (of ? (100 * us) / of : 0);
  return {
    file: path.basename(file),
    totalMs: total / 1000,
    busyMs: busy / 1000,
    parts: [...parts.entries()]
      .filter(([p]) => p !== '(idle)')
      .sort((a, b) => b[1] - a[1])
      .map(([part, us]) => ({ part, ms: us / 1000, pctBusy: pct(us, busy) })),
    attributed: [...attributed.entries()]
      .sort((a, b) => b[1] - a[1])
      .slice(0, 15)
      .map(([fn, us]) => ({ fn, ms: us / 1000, pctBusy: pct(us, busy) })),
    functions: [...fns.values()]
      .filter((f) => f.name !== '(idle)')
      .sort((a, b) => b.us - a.us)
      .slice(0, top)
      .map((f) => ({ ...f, ms: f.us / 1000, pctBusy: pct(f.us, busy) })),
  };
}

/** `requests`: how many requests the profiled run served, to show µs per request beside ms. */
function profileMarkdown(s, title, requests) {
  const perReq = (ms) => (requests ? ` | ${((ms * 1000) / requests).toFixed(1)}` : '');
  const head = requests ? ' | µs/request' : '';
  const align = requests ? '---:|' : '';
  const lines = [];
  lines.push(`### ${title}`, '');
  lines.push(
    `Profile \`${s.file}\`: ${(s.totalMs / 1000).toFixed(1)} s sampled, ${(s.busyMs / 1000).toFixed(1)} s busy (not idle)` +
      (requests ? `, ${requests} requests: ${((s.busyMs * 1000) / requests).toFixed(0)} µs of CPU per request (the profiler adds some).` : '.'),
    '',
  );
  lines.push('Self time by part:', '');
  lines.push(`| part | ms | % busy${head} |`, `|---|---:|---:|${align}`);
  for (const p of s.parts.slice(0, 20)) lines.push(`| ${p.part} | ${p.ms.toFixed(0)} | ${p.pctBusy.toFixed(1)}${perReq(p.ms)} |`);
  lines.push('', 'Busy time under the innermost datagate function on the stack (libraries it calls included):', '');
  lines.push(`| datagate function | ms | % busy${head} |`, `|---|---:|---:|${align}`);
  for (const a of s.attributed) lines.push(`| ${a.fn} | ${a.ms.toFixed(0)} | ${a.pctBusy.toFixed(1)}${perReq(a.ms)} |`);
  lines.push('', 'Top functions by self time:', '');
  lines.push(`| function | where | part | ms | % busy${head} |`, `|---|---|---|---:|---:|${align}`);
  for (const f of s.functions) lines.push(`| \`${f.name}\` | ${f.where} | ${f.part} | ${f.ms.toFixed(0)} | ${f.pctBusy.toFixed(1)}${perReq(f.ms)} |`);
  return lines.join('\n') + '\n';
}

module.exports = { summarizeProfile, profileMarkdown };

if (require.main === module) {
  // node bench/lib/profile.js <file.cpuprofile> [requests served while profiled] [top]
  const s = summarizeProfile(process.argv[2], { root: path.resolve(__dirname, '..', '..'), top: Number(process.argv[4] ?? 30) });
  process.stdout.write(profileMarkdown(s, process.argv[2], process.argv[3] ? Number(process.argv[3]) : undefined));
}
