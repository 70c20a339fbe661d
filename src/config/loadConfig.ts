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
export function validateYaml<T>(y: YamlFile, schema: ZodType<T>, env: NodeJS.ProcessEnv = {}): { value?: T; problems: ConfigProblem[] } {
  if (y.problems.length) return { problems: y.problems };
  const envProblems: EnvProblem[] = [];
  const expanded = expandEnv(y.data, env, envProblems);
  const problems: ConfigProblem[] = envProblems.map((p) => ({
    file: y.file,
    path: pathToString(p.path),
    line: y.lineOf(p.path),
    message: `environment variable ${p.variable} is not set (set it, or write \${${p.variable}:-default})`,
  }));
  const parsed = schema.safeParse(expanded);
  if (!parsed.success) {
    for (const issue of parsed.error.issues) {
      const p = issue.path.filter((k): k is string | number => typeof k !== 'symbol');
      problems.push({ file: y.file, path: pathToString(p), line: y.lineOf(p), message: describeIssue(issue) });
    }
  }
  return problems.length || !parsed.success ? { problems } : { value: parsed.data, problems };
}

function describeIssue(issue: { code: string; message: string; keys?: string[]; input?: unknown }): string {
  if (issue.code === 'unrecognized_keys' && issue.keys) return `unknown key${issue.keys.length > 1 ? 's' : ''} ${issue.keys.map((k) => `"${k}"`).join(', ')}`;
  return issue.message.replace(/^Invalid input: /, '');
}

export function loadConfig(file: string, env: NodeJS.ProcessEnv = process.env): LoadedConfig {
  const abs = path.resolve(file);
  const { value, problems } = validateYaml(readYamlFile(abs), configSchema, env);
  if (!value) throw new ConfigError(problems);
  return { file: abs, dir: path.dirname(abs), config: value };
}
