import { readFileSync } from 'node:fs';
import { isMap, isSeq, LineCounter, parseDocument, type Node } from 'yaml';
import type { ConfigProblem } from '../errors';

/** A parsed YAML file that can say on which line a path starts, for error messages. */
export interface YamlFile {
  file: string;
  data: unknown;
  lineOf(path: readonly (string | number)[]): number | undefined;
  problems: ConfigProblem[];
}

export function parseYaml(file: string, text: string): YamlFile {
  const lineCounter = new LineCounter();
  const doc = parseDocument(text, { lineCounter, prettyErrors: false, uniqueKeys: true });
  const problems: ConfigProblem[] = doc.errors.map((e) => ({
    file,
    path: '',
    line: e.linePos?.[0]?.line ?? (e.pos?.[0] !== undefined ? lineCounter.linePos(e.pos[0]).line : undefined),
    message: `YAML syntax error: ${e.message.split('\n')[0]}`,
  }));
  // The line of the deepest path element found: a map key's own line, a list item's line.
  const lineOf = (path: readonly (string | number)[]): number | undefined => {
    let node: unknown = doc.contents;
    let line: number | undefined = (node as Node | null)?.range ? lineCounter.linePos((node as Node).range![0]).line : undefined;
    for (const key of path) {
      if (isMap(node)) {
        const pair = node.items.find((p) => (p.key as { value?: unknown } | null)?.value === key);
        if (!pair) break;
        const k = pair.key as Node;
        if (k?.range) line = lineCounter.linePos(k.range[0]).line;
        node = pair.value;
      } else if (isSeq(node) && typeof key === 'number' && node.items[key]) {
        node = node.items[key];
        if ((node as Node).range) line = lineCounter.linePos((node as Node).range![0]).line;
      } else break;
    }
    return line;
  };
  return { file, data: problems.length ? undefined : doc.toJS({ maxAliasCount: 100 }), lineOf, problems };
}

export function readYamlFile(file: string): YamlFile {
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch (e) {
    const reason = (e as NodeJS.ErrnoException).code === 'ENOENT' ? 'file not found' : (e as Error).message;
    return { file, data: undefined, lineOf: () => undefined, problems: [{ file, path: '', message: reason }] };
  }
  return parseYaml(file, text);
}

export function pathToString(path: readonly PropertyKey[]): string {
  return path.map((p) => (typeof p === 'number' ? `[${p}]` : String(p))).join('.').replace(/\.\[/g, '[');
}
