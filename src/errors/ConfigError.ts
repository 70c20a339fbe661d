import { DatagateError } from './DatagateError';
import { ErrorCode } from './codes';

/** One problem in a deployment file: where it is, what was expected, what was found. */
export interface ConfigProblem {
  file: string;
  /** Dotted path inside the file, e.g. `sources.crm.dialect`. */
  path: string;
  line?: number;
  message: string;
}

export function formatProblem(p: ConfigProblem): string {
  const where = p.line ? `${p.file}:${p.line}` : p.file;
  return `${where} at ${p.path || '(root)'}: ${p.message}`;
}

/** Start-up stops with every problem listed at once, not the first one only. */
export class ConfigError extends DatagateError {
  constructor(
    readonly problems: ConfigProblem[],
    code: typeof ErrorCode.BAD_CONFIG | typeof ErrorCode.BAD_MODEL | typeof ErrorCode.BAD_POLICY = ErrorCode.BAD_CONFIG,
  ) {
    super(
      code,
      `${problems.length} problem${problems.length === 1 ? '' : 's'} in the deployment files:\n` +
        problems.map((p) => `  - ${formatProblem(p)}`).join('\n'),
    );
    this.name = 'ConfigError';
  }
}
