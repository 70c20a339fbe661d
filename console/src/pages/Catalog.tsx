import { useEffect, useState, type FormEvent } from 'react';
import { gql } from '../api';
import { Link, navigate } from '../router';
import { Badge, Empty, ErrorBox, Loading } from '../ui';
import { CATALOG_QUERY, type CatalogEntry } from './catalogQuery';

export function QualityBadge({ q }: { q: CatalogEntry['quality'] }) {
  if (q.stale) return <Badge tone="warn" title={`newest row ${q.newest ?? 'unknown'}; expected within ${q.maxAge ?? '?'}`}>stale</Badge>;
  if (q.status === 'fail' || q.failing.length)
    return <Badge tone="bad" title={q.failing.map((f) => `${f.check}: ${f.observed ?? ''}`).join('; ')}>quality: failing</Badge>;
  if (q.status === 'pass' || q.status === 'ok') return <Badge tone="ok">quality: passing</Badge>;
  return <Badge tone="info">quality: {q.status}</Badge>;
}

/** Browse and search the catalog: by words, tag, owner and source (kept in the URL). */
export function Catalog({ params }: { params: URLSearchParams }) {
  const filters = { search: params.get('search') ?? '', tag: params.get('tag') ?? '', owner: params.get('owner') ?? '', source: params.get('source') ?? '' };
  const [form, setForm] = useState(filters);
  const [entries, setEntries] = useState<CatalogEntry[] | null>(null);
  const [error, setError] = useState<unknown>(null);
  const key = JSON.stringify(filters);

  const load = () => {
    setEntries(null);
    setError(null);
    const vars = Object.fromEntries(Object.entries(filters).filter(([, v]) => v));
    gql<{ catalog: CatalogEntry[] }>(CATALOG_QUERY, vars).then((r) => setEntries(r.data.catalog), setError);
  };
  useEffect(load, [key]);

  const submit = (e: FormEvent) => {
    e.preventDefault();
    const q = new URLSearchParams(Object.entries(form).filter(([, v]) => v.trim()));
    navigate(`/catalog${q.size ? `?${q}` : ''}`);
  };

  return (
    <div>
      <h1>Catalog</h1>
      <form className="filters" onSubmit={submit} role="search" aria-label="Search the catalog">
        <div>
          <label htmlFor="c-search">Search</label>
          <input id="c-search" type="search" value={form.search} onChange={(e) => setForm({ ...form, search: e.target.value })} placeholder="orders, email, revenue…" />
        </div>
        <div>
          <label htmlFor="c-tag">Tag</label>
          <input id="c-tag" value={form.tag} onChange={(e) => setForm({ ...form, tag: e.target.value })} placeholder="pii" />
        </div>
        <div>
          <label htmlFor="c-owner">Owner</label>
          <input id="c-owner" value={form.owner} onChange={(e) => setForm({ ...form, owner: e.target.value })} placeholder="team or steward" />
        </div>
        <div>
          <label htmlFor="c-source">Source</label>
          <input id="c-source" value={form.source} onChange={(e) => setForm({ ...form, source: e.target.value })} placeholder="crm" />
        </div>
        <button type="submit">Search</button>
      </form>
      <p className="muted" role="status" data-testid="catalog-count">
        {entries ? `${entries.length} ${entries.length === 1 ? 'entity matches' : 'entities match'}.` : ''}
      </p>
      <ErrorBox error={error} onRetry={load} />
      {!entries && !error && <Loading what="the catalog" />}
      {entries && entries.length === 0 && (
        <Empty>
          Nothing matches. Try fewer words, or <Link to="/catalog">clear the filters</Link>.
        </Empty>
      )}
      {entries && entries.length > 0 && (
        <ul className="cards" aria-label="Entities">
          {entries.map((e) => (
            <li key={e.name} className="card" data-testid={`entity-${e.name}`}>
              <h2>
                <Link to={`/entity/${encodeURIComponent(e.name)}`}>{e.name}</Link>
              </h2>
              <p>{e.description ?? <span className="muted">No description.</span>}</p>
              <p className="badges">
                {e.readable ? <Badge tone="ok">you can read</Badge> : e.aggregatable ? <Badge tone="info">totals only</Badge> : <Badge tone="bad">no access yet</Badge>}
                <QualityBadge q={e.quality} />
                {e.tags.map((t) => (
                  <Badge key={t} tone="info">
                    #{t}
                  </Badge>
                ))}
              </p>
              <p className="meta">
                Source <strong>{e.source}</strong> · owner <strong>{e.owner.team ?? '—'}</strong>
                {e.owner.steward && <> · steward <a href={`mailto:${e.owner.steward}`}>{e.owner.steward}</a></>}
                {e.rowEstimate != null && <> · about {e.rowEstimate.toLocaleString()} rows</>}
              </p>
              {e.requestable && (
                <p>
                  <Link className="button" to={`/entity/${encodeURIComponent(e.name)}?request`}>
                    Request access<span className="sr-only"> to {e.name}</span>
                  </Link>
                </p>
              )}
            </li>
          ))}
        </ul>
      )}
    </div>
  );
}
