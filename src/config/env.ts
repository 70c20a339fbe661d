/**
 * `${VAR}` and `${VAR:-default}` in string values of a parsed config file are replaced by
 * environment variables. Substitution walks parsed values (never the raw text), so a value
 * can never change the structure of the file.
 */
const REF = /\$\{([A-Za-z_][A-Za-z0-9_]*)(?::-([^}]*))?\}/g;

export interface EnvProblem {
  path: (string | number)[];
  variable: string;
}

export function expandEnv(node: unknown, env: NodeJS.ProcessEnv, problems: EnvProblem[], path: (string | number)[] = []): unknown {
  if (typeof node === 'string') {
    return node.replace(REF, (_m, name: string, fallback: string | undefined) => {
      const v = env[name];
      if (v !== undefined) return v;
      if (fallback !== undefined) return fallback;
      problems.push({ path, variable: name });
      return '';
    });
  }
  if (Array.isArray(node)) return node.map((n, i) => expandEnv(n, env, problems, [...path, i]));
  if (node && typeof node === 'object') {
    const out: Record<string, unknown> = {};
    for (const [k, v] of Object.entries(node)) out[k] = expandEnv(v, env, problems, [...path, k]);
    return out;
  }
  return node;
}
