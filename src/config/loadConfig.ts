import path from 'node:path';
import type { ZodType } from 'zod';
import { ConfigError, type ConfigProblem } from '../errors';
import { expandEnv, type EnvProblem } from './env';
import { configSchema, type DatagateConfig } from './schema';
import { pathToString, readYamlFile, type YamlFile } from './yamlFile';

export interface LoadedConfig {
  /** Absolute path of datagate.yaml; model and policy folders are relative to its folder. */
  file: string;
  dir: string;
  config: DatagateConfig;
}

/** Validates one parsed YAML value against a zod schema, turning every issue into a located problem. */
export function validateYaml<T>(y: YamlFile, schema: ZodType<T>, env: NodeJS.ProcessEnv | null = {}): { value?: T; problems: ConfigProblem[] } {
  if (y.problems.length) return { problems: y.problems };
  const envProblems: EnvProblem[] = [];
  const whole = new Map<string, string>();
  // `env: null`: no substitution (policy files, whose `${user.*}` are filled per request).
  const expanded = env === null ? y.data : expandEnv(y.data, env, envProblems, [], whole);
  const problems: ConfigProblem[] = envProblems.map((p) => ({
    file: y.file,
    path: pathToString(p.path),
    line: y.lineOf(p.path),
    message: `environment variable ${p.variable} is not set (set it, or write \${${p.variable}:-default})`,
  }));
  let parsed = schema.safeParse(expanded, { reportInput: true });
  // A setting that wants a number or a boolean, given the whole text of an environment variable: read as one.
  if (!parsed.success && whole.size && typeEnvValues(expanded, parsed.error.issues, whole)) parsed = schema.safeParse(expanded, { reportInput: true });
  if (!parsed.success) {
    for (const issue of parsed.error.issues) {
      const p = issue.path.filter((k): k is string | number => typeof k !== 'symbol');
      // Point at the offending key itself where the issue is about a key.
      const at = issue.code === 'unrecognized_keys' ? [...p, issue.keys[0]] : p;
      const variable = issue.code === 'invalid_type' ? whole.get(JSON.stringify(p)) : undefined;
      const message = describeIssue(issue as never);
      problems.push({ file: y.file, path: pathToString(p), line: y.lineOf(at), message: variable ? `${message}, from environment variable ${variable}` : message });
    }
  }
  return problems.length || !parsed.success ? { problems } : { value: parsed.data, problems };
}

/**
 * Turns, in place, each value that came whole from an environment variable (`whole`) and that the
 * schema refused as text where it wanted a number or a boolean into that number (decimal digits,
 * optionally signed, with a fraction) or boolean (`true`, `false`). True when any changed.
 */
function typeEnvValues(tree: unknown, issues: readonly { code: string; path: PropertyKey[]; input?: unknown; expected?: string }[], whole: ReadonlyMap<string, string>): boolean {
  let changed = false;
  for (const issue of issues) {
    if (issue.code !== 'invalid_type' || typeof issue.input !== 'string' || !issue.path.length || !whole.has(JSON.stringify(issue.path))) continue;
    const text = issue.input.trim();
    const value =
      issue.expected === 'number' && /^[+-]?\d+(\.\d+)?$/.test(text) ? Number(text) : issue.expected === 'boolean' && (text === 'true' || text === 'false') ? text === 'true' : undefined;
    if (value === undefined) continue;
    let node = tree as Record<PropertyKey, unknown>;
    for (const k of issue.path.slice(0, -1)) node = node[k] as Record<PropertyKey, unknown>;
    node[issue.path[issue.path.length - 1]] = value;
    changed = true;
  }
  return changed;
}

/** zod's issue → "expected …, found …" in words a person editing YAML understands. */
function describeIssue(issue: { code: string; message: string; keys?: string[]; input?: unknown; issues?: { message: string }[] }): string {
  if (issue.code === 'unrecognized_keys' && issue.keys) return `unknown key${issue.keys.length > 1 ? 's' : ''} ${issue.keys.map((k) => `"${k}"`).join(', ')}`;
  if (issue.code === 'invalid_key') return `invalid name "${String(issue.input)}": ${issue.issues?.[0]?.message ?? issue.message}`;
  const message = issue.message.replace(/^(Invalid (input|option)|Too (small|big)): /, '').replace(', received ', ', found ');
  if (issue.input === undefined) return message.replace(/, found undefined$/, ', found nothing (the key is required)');
  if (/found/.test(message)) return message;
  const shown = JSON.stringify(issue.input);
  return `${message}, found ${shown && shown.length > 60 ? shown.slice(0, 60) + '…' : shown}`;
}

export function loadConfig(file: string, env: NodeJS.ProcessEnv = process.env): LoadedConfig {
  const abs = path.resolve(file);
  const { value, problems } = validateYaml(readYamlFile(abs), configSchema, env);
  if (!value) throw new ConfigError(problems);
  return { file: abs, dir: path.dirname(abs), config: value };
}
