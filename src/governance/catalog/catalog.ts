import type { Entity, FieldType, Owner, Registry, Relationship } from '../../model';
import { describeCondition, type MaskKind, type UserAccess } from '../../policy';
import type { SourceAdapter } from '../../sources';

export interface CatalogFilter {
  /** Words to find in names, descriptions, tags and (where shown) field names, case-insensitive; every word must match. */
  search?: string;
  /** A tag or classification of the entity or one of its fields. */
  tag?: string;
  /** Owning team, steward, or an approving user or role. */
  owner?: string;
  source?: string;
}

/** How the caller sees one field: in clear, masked (on all or some rows), or not at all. */
export type FieldAccessLevel = 'clear' | 'masked' | 'none';

export interface CatalogField {
  readonly name: string;
  readonly type: FieldType;
  readonly description: string | null;
  readonly tags: readonly string[];
  readonly access: FieldAccessLevel;
  readonly mask: MaskKind | null;
  /** Readable (or in clear) on some of the caller's rows only. */
  readonly someRowsOnly: boolean;
}

/**
 * What the caller does to get (more) access, as data: `howToGetAccess` words it for API users, and
 * a client such as the web console words it for its own readers.
 * - `none`: nothing is withheld from them;
 * - `signIn`: anonymous callers sign in first;
 * - `request`: ask the owners (Owner.roles / Owner.users decide) with requestAccess;
 * - `contact`: nobody is named to approve requests: write to the steward or team.
 */
export type AccessNextStep = 'none' | 'signIn' | 'request' | 'contact';

/** A relationship of the entity and the fields it joins on, so a client can open the related rows as a filter. */
export interface CatalogRelationship {
  readonly name: string;
  readonly target: string;
  readonly many: boolean;
  readonly description: string | null;
  /** Pairs of (field of this entity, field of the target) that are equal; null when the target keeps its field names private from the caller. */
  readonly on: readonly { readonly field: string; readonly targetField: string }[] | null;
}

export interface CatalogEntry {
  readonly entity: Entity;
  readonly sourceDescription: string | null;
  /** The caller may read rows of it. */
  readonly readable: boolean;
  readonly aggregatable: boolean;
  /** Rows the caller may read, in words (null when they may not read it). */
  readonly rowCondition: string | null;
  /** Null when the caller may not read the entity and the model hides its field names (catalog.showFields: false). */
  readonly fields: readonly CatalogField[] | null;
  /** The caller may ask its owners for (more) access: signed in, the entity has owners, and something is still withheld. */
  readonly requestable: boolean;
  readonly nextStep: AccessNextStep;
  /** What to do to get access, in words (for API users: it names the requestAccess mutation). */
  readonly howToGetAccess: string;
  /** Null when the field names are (see `fields`). */
  readonly relationships: readonly CatalogRelationship[] | null;
}

export interface CatalogSourceInfo {
  readonly description?: string;
  readonly owner?: string;
}

/**
 * The catalog as one caller sees it: every entity of the model with its facts, and for each field
 * whether this caller reads it in clear, masked or not at all. Entities the caller cannot read are
 * listed too, with their owners and how to ask for access; their field names show unless the model
 * says `catalog: { showFields: false }`.
 */
export function catalogEntries(
  registry: Registry,
  access: UserAccess,
  signedIn: boolean,
  sources: Readonly<Record<string, CatalogSourceInfo>>,
  filter: CatalogFilter = {},
): CatalogEntry[] {
  const out: CatalogEntry[] = [];
  const words = (filter.search ?? '').toLowerCase().split(/\s+/).filter(Boolean);
  const tag = filter.tag?.toLowerCase();
  const owner = filter.owner?.toLowerCase();
  for (const entity of [...registry.entities.values()].sort((a, b) => a.name.localeCompare(b.name))) {
    if (filter.source && entity.source !== filter.source) continue;
    if (owner && !ownerMatches(entity.owner, owner)) continue;
    const ev = access.view.entities.get(entity.name);
    const readable = !!ev?.read;
    const fields: CatalogField[] | null =
      readable || entity.catalog.showFields
        ? [...entity.fields.values()].map((f) => {
            const fv = readable ? ev!.fields.get(f.name) : undefined;
            const level: FieldAccessLevel = !fv ? 'none' : fv.maskMode === 'none' ? 'clear' : 'masked';
            return {
              name: f.name,
              type: f.type,
              description: f.description ?? null,
              tags: f.tags,
              access: level,
              mask: fv?.mask ?? null,
              someRowsOnly: !!fv && (!fv.uniform || fv.maskMode === 'conditional'),
            };
          })
        : null;
    if (tag && ![...entity.tags, ...entity.classification, ...(fields ?? []).flatMap((f) => f.tags)].some((t) => t.toLowerCase() === tag)) continue;
    if (words.length) {
      const text = [
        entity.name,
        entity.description ?? '',
        entity.source,
        ...entity.tags,
        ...entity.classification,
        ...(fields ?? []).flatMap((f) => [f.name, f.description ?? '', ...f.tags]),
      ]
        .join(' ')
        .toLowerCase();
      if (!words.every((w) => text.includes(w))) continue;
    }
    const hasOwners = entity.owner.roles.length > 0 || entity.owner.users.length > 0;
    const rowsAll = readable && access.entity(entity.name).row.kind === 'true';
    const withheld = !readable || !rowsAll || (fields ?? []).some((f) => f.access !== 'clear' || f.someRowsOnly);
    const nextStep: AccessNextStep = !withheld ? 'none' : !hasOwners ? 'contact' : !signedIn ? 'signIn' : 'request';
    out.push({
      entity,
      sourceDescription: sources[entity.source]?.description ?? null,
      readable,
      aggregatable: !!ev?.aggregate,
      rowCondition: readable ? describeCondition(access.entity(entity.name).row) : null,
      fields,
      requestable: nextStep === 'request',
      nextStep,
      howToGetAccess: howToGetAccess(nextStep, entity),
      relationships: fields ? [...entity.relationships.values()].map((r) => relationshipOf(registry, access, r)) : null,
    });
  }
  return out;
}

function howToGetAccess(step: AccessNextStep, entity: Entity): string {
  switch (step) {
    case 'none':
      return 'you read every field in clear on every row';
    case 'contact': {
      const contact = entity.owner.steward ?? entity.owner.team;
      return `no owner is named to approve requests${contact ? `; ask ${contact}` : ''}`;
    }
    case 'signIn':
      return 'sign in, then ask with requestAccess';
    case 'request':
      return `ask with requestAccess(entity: "${entity.name}", fields: […], reason: "…", days: N); ${approvers(entity.owner)} decide`;
    default:
      throw new Error(`unknown next step ${step satisfies never}`);
  }
}

function relationshipOf(registry: Registry, access: UserAccess, r: Relationship): CatalogRelationship {
  const target = registry.entities.get(r.target);
  const targetShown = !!target && (!!access.view.entities.get(target.name)?.read || target.catalog.showFields);
  return {
    name: r.name,
    target: r.target,
    many: r.many,
    description: r.description ?? null,
    on: targetShown ? r.on.map(([field, targetField]) => ({ field, targetField })) : null,
  };
}

function ownerMatches(o: Owner, needle: string): boolean {
  return [o.team ?? '', o.steward ?? '', ...o.roles, ...o.users].some((v) => v.toLowerCase().includes(needle));
}

function approvers(o: Owner): string {
  return [o.roles.length ? `holders of role ${o.roles.join(' or ')}` : '', o.users.length ? o.users.join(', ') : ''].filter(Boolean).join(' and ');
}

/**
 * Row counts for the catalog, at most one lookup per entity per `ttlMs` (statistics move slowly and
 * the catalog is browsed often). A source that fails gives null, never an error.
 */
export function createRowEstimates(sources: ReadonlyMap<string, SourceAdapter>, ttlMs = 60_000, now: () => number = Date.now, waitMs = 1000) {
  const cache = new Map<string, { at: number; value: Promise<number | null> }>();
  return (entity: Entity): Promise<number | null> => {
    const hit = cache.get(entity.name);
    const value =
      hit && now() - hit.at < ttlMs
        ? hit.value
        : (() => {
            const source = sources.get(entity.source);
            const v = source ? source.estimateRows(entity).catch(() => null) : Promise.resolve(null);
            cache.set(entity.name, { at: now(), value: v });
            return v;
          })();
    // A slow or unreachable source must not hold the whole catalog: past `waitMs` this answer says
    // "unknown" while the lookup goes on and fills the cache for the next one.
    let timer: NodeJS.Timeout | undefined;
    const late = new Promise<null>((resolve) => {
      timer = setTimeout(() => resolve(null), waitMs);
      timer.unref();
    });
    return Promise.race([value, late]).finally(() => clearTimeout(timer));
  };
}
