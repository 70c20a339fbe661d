import { readFileSync } from 'node:fs';
import { LineCounter, parseDocument } from 'yaml';
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
    line: e.linePos?.[0]?.line,
    message: `YAML syntax error: ${e.message.split('\n')[0]}`,
  }));
  const lineOf = (path: readonly (string | number)[]): number | undefined => {
    for (let n = path.length; n >= 0; n--) {
      const node = doc.getIn(path.slice(0, n), true) as { range?: [number, number, number] } | undefined;
      if (node && typeof node === 'object' && node.range) return lineCounter.linePos(node.range[0]).line;
    }
    return undefined;
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
