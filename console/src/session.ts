import { createContext, useContext } from 'react';
import type { GraphQLSchema } from 'graphql';

export interface Me {
  id: string | null;
  roles: string[];
  tokenRoles: string[];
  attributes: Record<string, unknown>;
}

export interface Session {
  me: Me;
  schema: GraphQLSchema;
  /** Reads the caller's schema again (after a grant changes what they may read); null when that failed. */
  refresh(): Promise<GraphQLSchema | null>;
  signOut(message?: string): void;
  isAuditor: boolean;
}

export const SessionContext = createContext<Session | null>(null);

export function useSession(): Session {
  const s = useContext(SessionContext);
  if (!s) throw new Error('useSession outside a signed-in page');
  return s;
}
