/** A claim value a policy may use: primitives and lists of them, never objects (they could carry operators). */
export type AttributeValue = string | number | boolean | null | (string | number | boolean)[];

/** Who is asking: from a verified token, or the anonymous user. */
export interface User {
  readonly id: string | null;
  readonly roles: readonly string[];
  readonly attributes: Readonly<Record<string, AttributeValue>>;
}
