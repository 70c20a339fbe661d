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
  howToGetAccess: string;
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
    requestable howToGetAccess
  }
}`;
