/** Words after which a quoted name is an identifier from the model or the engine, not a value. */
const IDENTIFIER_BEFORE = /(?:relation|column|table|schema|function|type|database|index|constraint|role|operator|source|entity|field|relationship|column\(s\))\s*$/i;

/**
 * A driver's or runtime's message, safe for a log line: its first line only, and every quoted
 * literal that is not named as an identifier replaced by `'?'`. Engines quote the offending value
 * in messages such as `invalid input syntax for type integer: "abc"` or `Incorrect integer value:
 * 'x' for column …`; a bound filter value (possibly of a masked field) must never reach a log.
 * Connection strings lose their credentials.
 */
export function scrubValues(message: string): string {
  const first = message.split('\n', 1)[0];
  return first
    .replace(/\/\/[^@\s/]*@/g, '//***@')
    .replace(/(["'`])((?:\\.|(?!\1).)*)\1/g, (whole, _q: string, _body: string, offset: number, text: string) =>
      IDENTIFIER_BEFORE.test(text.slice(Math.max(0, offset - 40), offset)) ? whole : "'?'",
    )
    .slice(0, 500);
}

/** An error as a log line may carry it: class, code and scrubbed message, then the stack's frames (code locations, no values). */
export function describeError(e: unknown): { type: string; code?: string; message: string; stack?: string } {
  if (!(e instanceof Error)) return { type: typeof e, message: scrubValues(String(e)) };
  const code = (e as { code?: unknown }).code;
  const frames = e.stack
    ?.split('\n')
    .filter((l) => /^\s+at /.test(l))
    .slice(0, 15)
    .join('\n');
  return { type: e.name, ...(typeof code === 'string' ? { code } : {}), message: scrubValues(e.message), ...(frames ? { stack: frames } : {}) };
}
