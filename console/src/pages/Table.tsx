import { useEffect, useMemo, useRef, useState } from 'react';
import type { GraphQLObjectType, GraphQLSchema } from 'graphql';
import { ApiError, downloadCsv, gql, type GqlError, type LineageEntry } from '../api';
import { Link, navigate } from '../router';
import { coerce, entityApi, type EntityApi } from '../schema';
import { useSession } from '../session';
import { Empty, ErrorBox, Loading } from '../ui';
import { CATALOG_QUERY, type CatalogEntry } from './catalogQuery';

const PAGE = 25;
type Filter = [field: string, op: string, value: string];

interface View {
  cols: string[];
  filters: Filter[];
  sort: { field: string; dir: 'ASC' | 'DESC' } | null;
  group: string;
  sum: string;
  /** 1-based page number, and the connection cursor its rows start after (null on page 1). */
  page: number;
  after: string | null;
  /** Columns the URL names that the caller's schema does not have (not theirs to read, or no longer): left out, and said so. */
  unreadable: string[];
}

/** What the history entry keeps beside the URL: the cursors of earlier pages, to step back (page number → cursor). */
interface PageTrail {
  cursors: Record<number, string | null>;
}

const trailOf = (state: unknown): Record<number, string | null> =>
  state && typeof state === 'object' && 'cursors' in state && typeof (state as PageTrail).cursors === 'object' ? { ...(state as PageTrail).cursors } : {};

/**
 * The view lives in the URL: a copied link opens the same columns, filters, sort, summary and page
 * (the page's connection cursor, so the same first row; the gateway refuses the cursor for another
 * role set or after a restart without server.cursorSecret, and the view then opens on page 1).
 */
function readView(params: URLSearchParams, api: EntityApi): View {
  const known = new Set(api.columns.map((c) => c.name));
  const named = (params.get('cols') ?? '').split(',').filter(Boolean);
  const cols = named.filter((c) => known.has(c));
  let filters: Filter[] = [];
  try {
    filters = (JSON.parse(params.get('where') ?? '[]') as Filter[]).filter((f) => Array.isArray(f) && api.operators.get(f[0])?.some((o) => o.op === f[1]));
  } catch {
    filters = [];
  }
  const [field, dir] = (params.get('sort') ?? '').split(':');
  const after = params.get('after');
  const page = Number.parseInt(params.get('page') ?? '1', 10);
  const paged = after !== null && after !== '' && Number.isInteger(page) && page > 1;
  return {
    cols: cols.length ? cols : api.columns.slice(0, 8).map((c) => c.name),
    filters,
    sort: api.sortable.includes(field) ? { field, dir: dir === 'DESC' ? 'DESC' : 'ASC' } : null,
    group: api.groupable.includes(params.get('group') ?? '') ? params.get('group')! : '',
    sum: api.summable.includes(params.get('sum') ?? '') ? params.get('sum')! : '',
    page: paged ? page : 1,
    after: paged ? after : null,
    unreadable: named.filter((c) => !known.has(c)),
  };
}

function writeView(entity: string, v: View): string {
  const q = new URLSearchParams();
  q.set('cols', v.cols.join(','));
  if (v.filters.length) q.set('where', JSON.stringify(v.filters));
  if (v.sort) q.set('sort', `${v.sort.field}:${v.sort.dir}`);
  if (v.group) q.set('group', v.group);
  if (v.sum) q.set('sum', v.sum);
  if (v.page > 1 && v.after) {
    q.set('page', String(v.page));
    q.set('after', v.after);
  }
  return `/table/${encodeURIComponent(entity)}?${q}`;
}

function whereOf(api: EntityApi, filters: Filter[]): Record<string, Record<string, unknown>> | null {
  if (!filters.length) return null;
  const where: Record<string, Record<string, unknown>> = {};
  for (const [field, op, value] of filters) {
    const o = api.operators.get(field)?.find((x) => x.op === op);
    if (!o) continue;
    const v = o.list ? value.split(',').map((s) => coerce(s.trim(), o.type)) : coerce(value, o.type);
    where[field] = { ...where[field], [op]: v };
  }
  return where;
}

/** An entity as a table: columns, filters and sort by pointing and clicking, cursor paging, relationships, a grouped summary, CSV. */
export function TablePage({ entity, params, state }: { entity: string; params: URLSearchParams; state: unknown }) {
  const { schema, me } = useSession();
  const api = useMemo(() => entityApi(schema, entity), [schema, entity]);
  // The catalog entry first: its relationships' join fields are selected with the rows (to open related rows as a filter).
  const [entry, setEntry] = useState<CatalogEntry | null | undefined>(undefined);
  useEffect(() => {
    gql<{ catalog: CatalogEntry[] }>(CATALOG_QUERY, { search: entity }).then(
      (r) => setEntry(r.data.catalog.find((c) => c.name === entity) ?? null),
      () => setEntry(null), // without it: no owner's lineage, related rows through the lookup only
    );
  }, [entity]);
  const owner = me.roles.includes('admin') || (!!entry && (me.roles.some((x) => entry.owner.roles.includes(x)) || (me.id !== null && entry.owner.users.includes(me.id))));
  // One back link and heading for every state, so the heading the focus went to stays while the rows come.
  return (
    <div>
      <p>
        <Link to={`/entity/${encodeURIComponent(entity)}`}>← {entity} in the catalog</Link>
      </p>
      <h1>{entity}</h1>
      {!api || !api.connection ? (
        <Empty>
          You cannot read <strong>{entity}</strong> as rows yet. Open it in the <Link to={`/entity/${encodeURIComponent(entity)}`}>catalog</Link> to see why and to request access.
        </Empty>
      ) : entry === undefined ? (
        <Loading what="the table" />
      ) : (
        <Table api={api} params={params} trail={trailOf(state)} schema={schema} owner={owner} links={relatedLinks(schema, api, entry)} />
      )}
    </div>
  );
}

/** A relationship the table opens as the target's table, filtered on the fields it joins on. */
interface RelatedLink {
  name: string;
  target: string;
  on: { field: string; targetField: string }[];
}

/**
 * The relationships that can open as a filtered table: the catalog names their join fields, the
 * caller reads those fields here (unmasked: a masked value filters nothing) and may filter the
 * target by them with `eq`. The others show their rows below the table through the key lookup.
 */
function relatedLinks(schema: GraphQLSchema, api: EntityApi, entry: CatalogEntry | null): Map<string, RelatedLink> {
  const out = new Map<string, RelatedLink>();
  for (const rel of api.relationships) {
    const on = entry?.relationships?.find((r) => r.name === rel.name)?.on;
    const target = entityApi(schema, rel.target);
    if (!on?.length || !target?.connection) continue;
    const usable = on.every(
      ({ field, targetField }) =>
        api.columns.some((c) => c.name === field) &&
        entry?.fields?.find((f) => f.name === field)?.access === 'clear' &&
        target.operators.get(targetField)?.some((o) => o.op === 'eq' && !o.list),
    );
    if (usable) out.set(rel.name, { name: rel.name, target: rel.target, on });
  }
  return out;
}

/** The target's table filtered to the rows related to `row`; null when a join value is missing (nothing related). */
function relatedHref(link: RelatedLink, row: Record<string, unknown>): string | null {
  const filters: Filter[] = [];
  for (const { field, targetField } of link.on) {
    const v = row[field];
    if (v === null || v === undefined) return null;
    filters.push([targetField, 'eq', String(v)]);
  }
  return `/table/${encodeURIComponent(link.target)}?${new URLSearchParams({ where: JSON.stringify(filters) })}`;
}

interface Rows {
  rows: Record<string, unknown>[];
  total: number | null;
  next: string | null;
  errors?: GqlError[];
  lineage?: LineageEntry[];
}

function Table({ api, params, trail, schema, owner, links }: { api: EntityApi; params: URLSearchParams; trail: Record<number, string | null>; schema: GraphQLSchema; owner: boolean; links: Map<string, RelatedLink> }) {
  const { refresh } = useSession();
  const view = readView(params, api);
  /** What the rows depend on (the summary's group and sum do not). */
  const rowsKey = JSON.stringify([view.cols, view.filters, view.sort, view.after]);
  const filtersKey = JSON.stringify(view.filters);
  // The rows on screen stay while the next ones load, so the control that asked (a sort header, Next page) keeps the focus.
  const [page, setPage] = useState<Rows | null>(null);
  const [loading, setLoading] = useState(true);
  const [error, setError] = useState<unknown>(null);
  const [draft, setDraft] = useState<Filter[]>(view.filters);
  const [status, setStatus] = useState('');
  const [related, setRelated] = useState<{ key: unknown; rel: string; opener: HTMLElement | null } | null>(null);
  const where = whereOf(api, view.filters);
  const selected = Array.from(new Set([...(api.key ? [api.key] : []), ...view.cols, ...[...links.values()].flatMap((l) => l.on.map((j) => j.field))]));
  /** Relationships a row can follow: as a filtered table, or (with a lookup by key) shown below. */
  const follow = api.relationships.filter((r) => links.has(r.name) || (api.singular && api.key));
  const varDefs = `$where: ${api.connectionArgs.where}${api.connectionArgs.orderBy ? `, $orderBy: ${api.connectionArgs.orderBy}` : ''}`;
  const varArgs = `where: $where${api.connectionArgs.orderBy ? ', orderBy: $orderBy' : ''}`;
  const orderBy = view.sort ? [{ [view.sort.field]: view.sort.dir }] : null;

  useEffect(() => setDraft(view.filters), [filtersKey]);

  /** Only the answer to the latest request is shown (a quick sort then Next page may answer out of order). */
  const latest = useRef(0);
  /**
   * The page offers what the caller's schema held when they signed in. A grant that ended since (revoked,
   * expired) leaves a column the gateway now refuses: the schema is read again (once until rows load
   * again), and the view keeps only what the caller may read now, saying which columns it lost.
   */
  const schemaReread = useRef(false);
  const accessNote = useRef('');
  const load = () => {
    const n = ++latest.current;
    setError(null);
    setLoading(true);
    gql(
      `query ConsoleTable($first: Int, $after: String, ${varDefs}) { rows: ${api.connection}(first: $first, after: $after, ${varArgs}) { totalCount pageInfo { hasNextPage endCursor } edges { node { ${selected.join(' ')} } } } }`,
      { first: PAGE, after: view.after, where, orderBy },
    ).then(
      (r) => {
        if (n !== latest.current) return;
        setPage({
          rows: r.data.rows?.edges.map((e: { node: Record<string, unknown> }) => e.node) ?? [],
          total: r.data.rows?.totalCount ?? null,
          next: r.data.rows?.pageInfo.hasNextPage ? r.data.rows.pageInfo.endCursor : null,
          errors: r.errors,
          lineage: r.extensions?.lineage,
        });
        setLoading(false);
        // Rows again: a later refusal may be a later change of access.
        schemaReread.current = false;
        accessNote.current = '';
      },
      (e) => {
        if (n !== latest.current) return;
        setLoading(false);
        if (e instanceof ApiError && e.code === 'BAD_CURSOR' && view.after) {
          // A link's page position from before a gateway restart, or made for other roles (the caller's own, before their access changed): same view, first page.
          setStatus(
            accessNote.current
              ? `${accessNote.current} Back to the first page.`
              : 'The page this link pointed to cannot be found again (the gateway restarted, or you hold other roles than whoever made the link): showing the first page of the same view.',
          );
          navigate(writeView(api.name, { ...view, page: 1, after: null }), { replace: true });
          return;
        }
        setPage(null);
        setError(e);
        if (e instanceof ApiError && e.code === 'GRAPHQL_VALIDATION_FAILED' && !schemaReread.current) {
          schemaReread.current = true;
          setStatus('The gateway refused a field this page offered: reading what you may see now…');
          void refresh().then((now) => {
            const left = now ? entityApi(now, api.name) : null;
            const lost = view.cols.filter((c) => !left?.columns.some((x) => x.name === c));
            accessNote.current = lost.length
              ? `Your access changed while this page was open (a grant ended or was revoked): ${lost.join(', ')} ${lost.length === 1 ? 'is' : 'are'} no longer yours to read, so the table leaves ${lost.length === 1 ? 'it' : 'them'} out.`
              : '';
            setStatus(accessNote.current);
          });
        }
      },
    );
  };
  useEffect(load, [rowsKey]);
  /** A new view: columns, filters or sort start again at page 1; the summary's group and sum keep the page. */
  const go = (v: Partial<View>) => {
    const next = { ...view, ...v };
    const samePage = JSON.stringify([next.cols, next.filters, next.sort]) === JSON.stringify([view.cols, view.filters, view.sort]);
    navigate(writeView(api.name, samePage ? next : { ...next, page: 1, after: null }), samePage ? { state: { cursors: trail } satisfies PageTrail } : {});
  };
  const toggleSort = (field: string) => go({ sort: view.sort?.field === field ? (view.sort.dir === 'ASC' ? { field, dir: 'DESC' } : null) : { field, dir: 'ASC' } });
  const toPage = (n: number, after: string | null) =>
    navigate(writeView(api.name, { ...view, page: n, after }), { state: { cursors: { ...trail, [view.page]: view.after } } satisfies PageTrail });
  /** The cursor of the page before this one: known after paging in this tab; a link opened elsewhere knows only page 1. */
  const previous = view.page === 2 ? null : trail[view.page - 1];

  const download = () => {
    setError(null);
    setStatus('CSV requested: the file appears in your browser’s downloads and fills as the rows arrive (a large table takes a while).');
    downloadCsv(
      `query ConsoleExport(${varDefs}) { ${api.connection}(first: 500, ${varArgs}) { edges { node { ${view.cols.join(' ')} } } } }`,
      { where, orderBy },
      api.name.toLowerCase(),
      (e) => {
        setStatus('The CSV download was refused.');
        setError(e);
      },
    );
  };
  const copyLink = async () => {
    try {
      await navigator.clipboard.writeText(window.location.href);
      setStatus(`Link to this view copied${view.page > 1 ? ` (page ${view.page})` : ''}.`);
    } catch {
      setStatus(`Copy this link: ${window.location.href}`);
    }
  };
  const first = (view.page - 1) * PAGE + 1;

  return (
    <>
      <div className="toolbar">
        <details>
          <summary>Columns ({view.cols.length})</summary>
          <fieldset className="columns">
            <legend>Show columns</legend>
            {api.columns.map((c) => (
              <label key={c.name} className="check">
                <input
                  type="checkbox"
                  checked={view.cols.includes(c.name)}
                  onChange={(e) => go({ cols: e.target.checked ? api.columns.map((x) => x.name).filter((n) => n === c.name || view.cols.includes(n)) : view.cols.filter((n) => n !== c.name) })}
                  disabled={view.cols.length === 1 && view.cols.includes(c.name)}
                />{' '}
                {c.name}
              </label>
            ))}
          </fieldset>
        </details>
        <button type="button" onClick={download}>
          Download CSV
        </button>
        <button type="button" onClick={() => void copyLink()}>
          Copy link
        </button>
        <span role="status" aria-live="polite" className="muted" data-testid="table-status">
          {status}
        </span>
      </div>
      {view.unreadable.length > 0 && (
        <p className="notice" data-testid="unreadable-columns">
          Left out: {view.unreadable.join(', ')}. {view.unreadable.length === 1 ? 'It is' : 'They are'} not among the fields of {api.name} you may read. To ask for{' '}
          {view.unreadable.length === 1 ? 'it' : 'them'}, <Link to={`/entity/${encodeURIComponent(api.name)}?request`}>request access</Link>.
        </p>
      )}
      <FilterBuilder api={api} draft={draft} setDraft={setDraft} apply={() => go({ filters: draft.filter((f) => f[2] !== '' || f[1] === 'isNull') })} />
      <ErrorBox error={error} onRetry={load} />
      {page?.errors?.map((e, i) => <ErrorBox key={i} error={Object.assign(new Error(e.message), {})} />)}
      <div className="pager-bar">
        <p className="muted" role="status" aria-live="polite" data-testid="row-count">
          {loading
            ? 'Loading rows…'
            : page && page.rows.length > 0
              ? `Rows ${first.toLocaleString()}–${(first + page.rows.length - 1).toLocaleString()}${page.total !== null ? ` of ${page.total.toLocaleString()}` : ''} · page ${view.page}`
              : ''}
        </p>
        {(page?.rows.length || view.page > 1) && (
          <nav className="pager" aria-label="Pages">
            {view.page > 2 && previous === undefined && (
              <button type="button" aria-disabled={loading} onClick={() => !loading && toPage(1, null)}>
                First page
              </button>
            )}
            <button type="button" aria-disabled={loading || view.page === 1 || previous === undefined} onClick={() => !loading && view.page > 1 && previous !== undefined && toPage(view.page - 1, previous)}>
              Previous page
            </button>
            <button type="button" aria-disabled={loading || !page?.next} onClick={() => !loading && page?.next && toPage(view.page + 1, page.next)}>
              Next page
            </button>
          </nav>
        )}
      </div>
      {page && !loading && page.rows.length === 0 && (
        <Empty>
          {view.page > 1 ? 'No rows on this page: go back to the first page.' : `No rows match${view.filters.length ? ' these filters: remove one to see more' : ' (or none you may read)'}.`}
        </Empty>
      )}
      {page && page.rows.length > 0 && (
        <>
          <div className="scroll">
            <table className="grid" aria-label={`${api.name} rows`} aria-busy={loading} data-testid="rows">
              <thead>
                <tr>
                  {view.cols.map((c) => (
                    <th key={c} scope="col" aria-sort={view.sort?.field === c ? (view.sort.dir === 'ASC' ? 'ascending' : 'descending') : undefined}>
                      {api.sortable.includes(c) ? (
                        <button type="button" className="sort" onClick={() => toggleSort(c)} title={`Sort by ${c}`}>
                          {c} <span aria-hidden="true">{view.sort?.field === c ? (view.sort.dir === 'ASC' ? '▲' : '▼') : ''}</span>
                        </button>
                      ) : (
                        c
                      )}
                    </th>
                  ))}
                  {follow.length > 0 && <th scope="col">Related</th>}
                </tr>
              </thead>
              <tbody>
                {page.rows.map((r, i) => (
                  <tr key={String(api.key ? r[api.key] : i)}>
                    {view.cols.map((c) => (
                      <td key={c}>{fmt(r[c])}</td>
                    ))}
                    {follow.length > 0 && (
                      <td className="related">
                        {follow.map((rel) => {
                          const label = `${rel.name} of ${api.name} ${api.key ? String(r[api.key]) : i + 1}`;
                          const link = links.get(rel.name);
                          if (link) {
                            const href = relatedHref(link, r);
                            return href ? (
                              <Link key={rel.name} to={href} aria-label={label}>
                                {rel.name}
                              </Link>
                            ) : (
                              <span key={rel.name} className="muted" title={`No ${rel.name}: the row has no value to follow`}>
                                {rel.name}: none
                              </span>
                            );
                          }
                          return (
                            <button key={rel.name} type="button" className="link" aria-label={`${label} (shown below the table)`} onClick={(e) => setRelated({ key: r[api.key!], rel: rel.name, opener: e.currentTarget })}>
                              {rel.name}
                            </button>
                          );
                        })}
                      </td>
                    )}
                  </tr>
                ))}
              </tbody>
            </table>
          </div>
        </>
      )}
      {related && (
        <Related
          api={api}
          schema={schema}
          keyValue={related.key}
          rel={related.rel}
          onClose={() => {
            related.opener?.focus();
            setRelated(null);
          }}
        />
      )}
      {api.aggregate && <Summary api={api} view={view} where={where} go={go} />}
      {owner && page?.lineage && <Lineage entries={page.lineage} />}
    </>
  );
}

function fmt(v: unknown): string {
  if (v === null || v === undefined) return '—';
  return typeof v === 'object' ? JSON.stringify(v) : String(v);
}

/** Filters with only the fields the role may filter by and the operators its where input offers for each. */
function FilterBuilder({ api, draft, setDraft, apply }: { api: EntityApi; draft: Filter[]; setDraft: (f: Filter[]) => void; apply: () => void }) {
  const form = useRef<HTMLFormElement>(null);
  // Add filter and Remove move the focus to where the work goes on: the new row's field, or the
  // row that took the removed one's place (else Add filter), instead of leaving it nowhere.
  const [focus, setFocus] = useState<{ row: number } | { add: true } | null>(null);
  useEffect(() => {
    if (!focus || !form.current) return;
    const target = 'row' in focus ? form.current.querySelector<HTMLElement>(`[data-testid="filter-${focus.row}"] select`) : null;
    (target ?? form.current.querySelector<HTMLElement>('[data-add-filter]'))?.focus();
    setFocus(null);
  }, [focus]);
  const fields = [...api.operators.keys()];
  if (!fields.length) return <p className="muted">Your role may not filter {api.name}.</p>;
  const set = (i: number, f: Filter) => setDraft(draft.map((x, j) => (j === i ? f : x)));
  return (
    <form
      ref={form}
      className="panel filters"
      aria-label="Filters"
      onSubmit={(e) => {
        e.preventDefault();
        apply();
      }}
    >
      <h2>Filters</h2>
      {draft.length === 0 && <p className="muted">No filter: all the rows you may read.</p>}
      {draft.map(([field, op, value], i) => {
        const ops = api.operators.get(field) ?? [];
        const o = ops.find((x) => x.op === op);
        return (
          <div key={i} className="filter-row" data-testid={`filter-${i}`}>
            <label>
              Field<span className="sr-only"> of filter {i + 1}</span>
              <select value={field} onChange={(e) => set(i, [e.target.value, api.operators.get(e.target.value)![0].op, ''])}>
                {fields.map((f) => (
                  <option key={f}>{f}</option>
                ))}
              </select>
            </label>
            <label>
              Operator<span className="sr-only"> of filter {i + 1}</span>
              <select value={op} onChange={(e) => set(i, [field, e.target.value, ''])}>
                {ops.map((x) => (
                  <option key={x.op}>{x.op}</option>
                ))}
              </select>
            </label>
            <label>
              Value<span className="sr-only"> of filter {i + 1}</span>
              {o?.type === 'Boolean' ? (
                <select value={value} onChange={(e) => set(i, [field, op, e.target.value])}>
                  <option value="">choose…</option>
                  <option>true</option>
                  <option>false</option>
                </select>
              ) : (
                <input value={value} onChange={(e) => set(i, [field, op, e.target.value])} placeholder={o?.list ? 'a, b, c' : o?.type} />
              )}
            </label>
            <button
              type="button"
              onClick={() => {
                setDraft(draft.filter((_, j) => j !== i));
                setFocus(i < draft.length - 1 ? { row: i } : { add: true });
              }}
              aria-label={`Remove filter on ${field}`}
            >
              Remove
            </button>
          </div>
        );
      })}
      <button
        type="button"
        data-add-filter
        onClick={() => {
          setDraft([...draft, [fields[0], api.operators.get(fields[0])![0].op, '']]);
          setFocus({ row: draft.length });
        }}
      >
        Add filter
      </button>{' '}
      <button type="submit">Apply filters</button>
    </form>
  );
}

/** The related rows of one row, through the entity's lookup by key. */
function Related({ api, schema, keyValue, rel, onClose }: { api: EntityApi; schema: GraphQLSchema; keyValue: unknown; rel: string; onClose: () => void }) {
  const r = api.relationships.find((x) => x.name === rel)!;
  const target = entityApi(schema, r.target);
  const cols = (target?.columns ?? []).slice(0, 8).map((c) => c.name);
  const [rows, setRows] = useState<Record<string, unknown>[] | null>(null);
  const [error, setError] = useState<unknown>(null);
  const heading = useRef<HTMLHeadingElement>(null);
  useEffect(() => {
    heading.current?.focus(); // the panel opens below the table: the focus goes there, and Close gives it back
    setRows(null);
    const relField = (schema.getType(api.name) as GraphQLObjectType).getFields()[rel];
    const limit = relField.args.some((a) => a.name === 'limit') ? '(limit: 50)' : '';
    gql(`query ConsoleRelated($key: ${api.keyType}) { row: ${api.singular}(${api.key}: $key) { rel: ${rel}${limit} { ${cols.join(' ')} } } }`, { key: keyValue }).then((res) => {
      const v = res.data.row?.rel;
      setRows(v == null ? [] : Array.isArray(v) ? v : [v]);
    }, setError);
  }, [keyValue, rel]);
  return (
    <section className="panel" aria-labelledby="related-title" data-testid="related">
      <h2 id="related-title" tabIndex={-1} ref={heading}>
        {rel} of {api.name} {String(keyValue)}
      </h2>
      <button type="button" onClick={onClose}>
        Close
      </button>
      <ErrorBox error={error} />
      {!rows && !error && <Loading what={rel} />}
      {rows && rows.length === 0 && <Empty>No related {r.target} rows you may read.</Empty>}
      {rows && rows.length > 0 && (
        <table className="grid" aria-label={`${rel} rows`}>
          <thead>
            <tr>
              {cols.map((c) => (
                <th key={c} scope="col">
                  {c}
                </th>
              ))}
            </tr>
          </thead>
          <tbody>
            {rows.map((x, i) => (
              <tr key={i}>
                {cols.map((c) => (
                  <td key={c}>{fmt(x[c])}</td>
                ))}
              </tr>
            ))}
          </tbody>
        </table>
      )}
      {target?.connection && <p className="muted">Open <Link to={`/table/${encodeURIComponent(r.target)}`}>{r.target} as a table</Link>.</p>}
    </section>
  );
}

/** Counts (and a sum) per group, computed in the database, with a bar chart. */
function Summary({ api, view, where, go }: { api: EntityApi; view: View; where: unknown; go: (v: Partial<View>) => void }) {
  const [groups, setGroups] = useState<{ key: string; count: number; sum: number | null }[] | null>(null);
  const [error, setError] = useState<unknown>(null);
  const sameWhere = api.aggregateArgs.where === api.connectionArgs.where;
  useEffect(() => {
    if (!view.group) return setGroups(null);
    setError(null);
    setGroups(null);
    const whereVar = sameWhere && api.aggregateArgs.where ? `($where: ${api.aggregateArgs.where})` : '';
    gql(
      `query ConsoleSummary${whereVar} { g: ${api.aggregate}(${whereVar ? 'where: $where, ' : ''}groupBy: [${view.group}], limit: 30) { group { ${view.group} } count ${view.sum ? `sum { ${view.sum} }` : ''} } }`,
      sameWhere ? { where } : {},
    ).then(
      (r) => setGroups(r.data.g.map((x: { group: Record<string, unknown>; count: number; sum?: Record<string, unknown> }) => ({ key: fmt(x.group[view.group]), count: x.count, sum: view.sum ? Number(x.sum?.[view.sum] ?? 0) : null }))),
      setError,
    );
  }, [view.group, view.sum, JSON.stringify(where)]);
  if (!api.groupable.length) return null;
  const measure = (g: { count: number; sum: number | null }) => (view.sum ? (g.sum ?? 0) : g.count);
  const max = groups ? Math.max(1, ...groups.map(measure)) : 1;
  return (
    <section className="panel" aria-labelledby="summary-title">
      <h2 id="summary-title">Summary</h2>
      <div className="toolbar">
        <label>
          Group by{' '}
          <select value={view.group} onChange={(e) => go({ group: e.target.value })}>
            <option value="">none</option>
            {api.groupable.map((f) => (
              <option key={f}>{f}</option>
            ))}
          </select>
        </label>
        {api.summable.length > 0 && (
          <label>
            Sum of{' '}
            <select value={view.sum} onChange={(e) => go({ sum: e.target.value })}>
              <option value="">(count only)</option>
              {api.summable.map((f) => (
                <option key={f}>{f}</option>
              ))}
            </select>
          </label>
        )}
        {!sameWhere && view.filters.length > 0 && <span className="muted">Totals over all the rows you may aggregate (the filters above use fields your role does not aggregate).</span>}
      </div>
      <ErrorBox error={error} />
      {view.group && !groups && !error && <Loading what="the summary" />}
      {groups && groups.length === 0 && <Empty>No groups.</Empty>}
      {groups && groups.length > 0 && (
        <div className="summary">
          <table className="grid" aria-label="Summary" data-testid="summary">
            <thead>
              <tr>
                <th scope="col">{view.group}</th>
                <th scope="col">count</th>
                {view.sum && <th scope="col">sum of {view.sum}</th>}
              </tr>
            </thead>
            <tbody>
              {groups.map((g) => (
                <tr key={g.key}>
                  <th scope="row">{g.key}</th>
                  <td>{g.count.toLocaleString()}</td>
                  {view.sum && <td>{g.sum?.toLocaleString()}</td>}
                </tr>
              ))}
            </tbody>
          </table>
          <svg role="img" aria-label={`Bar chart of ${view.sum ? `sum of ${view.sum}` : 'count'} by ${view.group}`} width="420" height={groups.length * 24 + 8} className="chart">
            {groups.map((g, i) => {
              const w = Math.round((measure(g) / max) * 260);
              return (
                <g key={g.key} transform={`translate(0, ${i * 24 + 4})`}>
                  <text x="0" y="15" fontSize="12">
                    {g.key.slice(0, 14)}
                  </text>
                  <rect x="110" y="2" width={Math.max(w, 1)} height="18" className="bar" />
                  <text x={116 + w} y="15" fontSize="12">
                    {measure(g).toLocaleString()}
                  </text>
                </g>
              );
            })}
          </svg>
        </div>
      )}
    </section>
  );
}

/** Where the rows on screen came from: sources, tables, columns, masks, row counts (owners and admins). */
function Lineage({ entries }: { entries: LineageEntry[] }) {
  return (
    <section className="panel" aria-labelledby="lineage-title" data-testid="lineage">
      <h2 id="lineage-title">Lineage of this result</h2>
      <table className="grid" aria-labelledby="lineage-title">
        <thead>
          <tr>
            <th scope="col">Path</th>
            <th scope="col">Entity</th>
            <th scope="col">Source · table</th>
            <th scope="col">Columns</th>
            <th scope="col">Masks</th>
            <th scope="col">Rows</th>
          </tr>
        </thead>
        <tbody>
          {entries.map((e, i) => (
            <tr key={i}>
              <td>{e.path}</td>
              <td>{e.entity}</td>
              <td>
                {e.source} · {e.table}
              </td>
              <td>{(e.columns ?? []).join(', ')}</td>
              <td>{e.masks ? Object.entries(e.masks).map(([k, v]) => `${k}: ${v}`).join(', ') : '—'}</td>
              <td>{e.rows}</td>
            </tr>
          ))}
        </tbody>
      </table>
    </section>
  );
}
