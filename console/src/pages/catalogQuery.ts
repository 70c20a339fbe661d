export interface CatalogField {
  name: string;
  type: string;
  description: string | null;
  tags: string[];
  access: 'clear' | 'masked' | 'none';
  mask: string | null;
  someRowsOnly: boolean;
}

export interface CatalogEntry {
  name: string;
  source: string;
  sourceDescription: string | null;
  description: string | null;
  owner: { team: string | null; steward: string | null; roles: string[]; users: string[] };
  tags: string[];
  classification: string[];
  retention: { column: string; keep: string } | null;
  readable: boolean;
  aggregatable: boolean;
  rowCondition: string | null;
  fields: CatalogField[] | null;
  rowEstimate: number | null;
  quality: { status: string; checkedAt: string | null; stale: boolean; newest: string | null; maxAge: string | null; failing: { check: string; observed: string | null }[] };
  requestable: boolean;
  /** What the caller does to get (more) access; accessInWords says it for people. */
  nextStep: 'none' | 'signIn' | 'request' | 'contact';
  /** Null when the owners keep the field names private. `on` is null when the target's are. */
  relationships: { name: string; target: string; many: boolean; on: { field: string; targetField: string }[] | null }[] | null;
}

export const CATALOG_QUERY = `query ConsoleCatalog($search: String, $tag: String, $owner: String, $source: String) {
  catalog(search: $search, tag: $tag, owner: $owner, source: $source) {
    name source sourceDescription description
    owner { team steward roles users }
    tags classification retention { column keep }
    readable aggregatable rowCondition
    fields { name type description tags access mask someRowsOnly }
    rowEstimate
    quality { status checkedAt stale newest maxAge failing { check observed } }
    requestable nextStep
    relationships { name target many on { field targetField } }
  }
}`;

const list = (items: string[]) => (items.length < 2 ? items.join('') : `${items.slice(0, -1).join(', ')} or ${items[items.length - 1]}`);

/**
 * How to get (more) access, in plain words for people who do not write GraphQL (the API's
 * howToGetAccess names the requestAccess mutation): from the catalog's nextStep and owners.
 */
export function accessInWords(e: CatalogEntry): string {
  const contact = e.owner.steward ?? (e.owner.team ? `the ${e.owner.team} team` : 'the data platform team');
  switch (e.nextStep) {
    case 'none':
      return 'You already see every field of every row.';
    case 'signIn':
      return 'Sign in first, then ask for access here.';
    case 'contact':
      return `Nobody is named to approve access to ${e.name}. Write to ${contact} and say what you need and why.`;
    case 'request': {
      const now = e.readable
        ? `You see part of ${e.name}: some fields are hidden or masked, or you see only some rows.`
        : e.aggregatable
          ? `You see totals of ${e.name}, not its rows.`
          : `You cannot see ${e.name} yet.`;
      const who = list([...e.owner.roles.map((r) => `anyone with the ${r} role`), ...e.owner.users]);
      return `${now} Ask for access: say why you need it and for how long. ${e.owner.team ? `Its owners (${e.owner.team}) decide` : 'Its owners decide'}${who ? `: ${who}` : ''}. You follow the answer under Access requests; questions go to ${contact}.`;
    }
    default:
      return `Ask ${contact} how to get access.`;
  }
}
