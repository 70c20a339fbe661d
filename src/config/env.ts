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

/** `${VAR}` or `${VAR:-default}` and nothing else: a value whose whole text comes from the environment. */
const WHOLE_REF = /^\$\{([A-Za-z_][A-Za-z0-9_]*)(?::-[^}]*)?\}$/;

/**
 * Substitutes every `${VAR}`. `whole` collects the values that were one reference and nothing else
 * (`pool: ${POOL:-10}`), keyed by JSON of their path, with the variable's name: such a value may then
 * be read as the number or boolean its setting asks for (loadConfig.ts), since text is all the
 * environment has.
 */
export function expandEnv(node: unknown, env: NodeJS.ProcessEnv, problems: EnvProblem[], path: (string | number)[] = [], whole?: Map<string, string>): unknown {
  if (typeof node === 'string') {
    const single = whole && WHOLE_REF.exec(node);
    if (single) whole.set(JSON.stringify(path), single[1]);
    return node.replace(REF, (_m, name: string, fallback: string | undefined) => {
      const v = env[name];
      if (v !== undefined) return v;
      if (fallback !== undefined) return fallback;
      problems.push({ path, variable: name });
      return '';
    });
  }
  if (Array.isArray(node)) return node.map((n, i) => expandEnv(n, env, problems, [...path, i], whole));
  if (node && typeof node === 'object') {
    const out: Record<string, unknown> = {};
    for (const [k, v] of Object.entries(node)) out[k] = expandEnv(v, env, problems, [...path, k], whole);
    return out;
  }
  return node;
}
