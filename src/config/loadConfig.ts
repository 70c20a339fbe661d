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
  // `env: null`: no substitution (policy files, whose `${user.*}` are filled per request).
  const expanded = env === null ? y.data : expandEnv(y.data, env, envProblems);
  const problems: ConfigProblem[] = envProblems.map((p) => ({
    file: y.file,
    path: pathToString(p.path),
    line: y.lineOf(p.path),
    message: `environment variable ${p.variable} is not set (set it, or write \${${p.variable}:-default})`,
  }));
  const parsed = schema.safeParse(expanded, { reportInput: true });
  if (!parsed.success) {
    for (const issue of parsed.error.issues) {
      const p = issue.path.filter((k): k is string | number => typeof k !== 'symbol');
      // Point at the offending key itself where the issue is about a key.
      const at = issue.code === 'unrecognized_keys' ? [...p, issue.keys[0]] : p;
      problems.push({ file: y.file, path: pathToString(p), line: y.lineOf(at), message: describeIssue(issue as never) });
    }
  }
  return problems.length || !parsed.success ? { problems } : { value: parsed.data, problems };
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
