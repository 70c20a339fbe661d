import { useEffect, useRef, useState, type FormEvent } from 'react';
import { gql } from '../api';
import { Link } from '../router';
import { useSession } from '../session';
import { Badge, Empty, ErrorBox, Loading } from '../ui';
import { QualityBadge } from './Catalog';
import { accessInWords, CATALOG_QUERY, type CatalogEntry } from './catalogQuery';

const ACCESS_LABEL = { clear: 'in clear', masked: 'masked', none: 'not visible' } as const;

/** One entity of the catalog: facts, fields as the caller sees them, and the request-access form. */
export function EntityPage({ entity, params }: { entity: string; params: URLSearchParams }) {
  const { me } = useSession();
  const [e, setE] = useState<CatalogEntry | null | undefined>(undefined);
  const [error, setError] = useState<unknown>(null);
  const load = () => {
    setError(null);
    gql<{ catalog: CatalogEntry[] }>(CATALOG_QUERY, { search: entity }).then((r) => setE(r.data.catalog.find((c) => c.name === entity) ?? null), setError);
  };
  useEffect(load, [entity]);
  // The same back link and heading while loading and after, so the heading the focus went to stays.
  if (error || e === undefined || e === null)
    return (
      <div>
        <p>
          <Link to="/catalog">← Catalog</Link>
        </p>
        <h1>{entity}</h1>
        {error ? (
          <ErrorBox error={error} onRetry={load} />
        ) : e === undefined ? (
          <Loading what={entity} />
        ) : (
          <Empty>
            No entity named <code>{entity}</code> in the catalog. <Link to="/catalog">Back to the catalog</Link>.
          </Empty>
        )}
      </div>
    );
  const isOwner = me.roles.some((r) => e.owner.roles.includes(r)) || (me.id !== null && e.owner.users.includes(me.id));
  return (
    <div>
      <p>
        <Link to="/catalog">← Catalog</Link>
      </p>
      <h1>{e.name}</h1>
      <p>{e.description}</p>
      <p className="badges">
        {e.readable ? <Badge tone="ok">you can read</Badge> : e.aggregatable ? <Badge tone="info">totals only</Badge> : <Badge tone="bad">no access yet</Badge>}
        <QualityBadge q={e.quality} />
        {e.classification.map((c) => (
          <Badge key={c} tone="warn">
            {c}
          </Badge>
        ))}
        {isOwner && <Badge tone="info">you approve access</Badge>}
      </p>
      <dl className="facts">
        <dt>Source</dt>
        <dd>
          {e.source}
          {e.sourceDescription && <span className="muted"> — {e.sourceDescription}</span>}
        </dd>
        <dt>Owner</dt>
        <dd>{e.owner.team ?? '—'}</dd>
        <dt>Steward</dt>
        <dd>{e.owner.steward ? <a href={`mailto:${e.owner.steward}`}>{e.owner.steward}</a> : '—'}</dd>
        <dt>Retention</dt>
        <dd>{e.retention ? `${e.retention.keep} after ${e.retention.column}` : 'kept indefinitely'}</dd>
        <dt>Freshness</dt>
        <dd>
          {e.quality.newest ? `newest row ${new Date(e.quality.newest).toLocaleString()}` : 'unknown'}
          {e.quality.maxAge && ` (expected within ${e.quality.maxAge})`}
          {e.quality.checkedAt && <span className="muted"> · checked {new Date(e.quality.checkedAt).toLocaleString()}</span>}
        </dd>
        <dt>Rows</dt>
        <dd>{e.rowEstimate != null ? `about ${e.rowEstimate.toLocaleString()}` : 'unknown'}</dd>
        {e.rowCondition && (
          <>
            <dt>Your rows</dt>
            <dd>
              only where <code>{e.rowCondition}</code>
            </dd>
          </>
        )}
      </dl>
      {e.readable && (
        <p>
          <Link className="button" to={`/table/${encodeURIComponent(e.name)}`}>
            Open {e.name} as a table
          </Link>
        </p>
      )}
      <h2>Fields</h2>
      {e.fields ? (
        <table className="grid" aria-label={`Fields of ${e.name}`}>
          <thead>
            <tr>
              <th scope="col">Field</th>
              <th scope="col">Type</th>
              <th scope="col">You see it</th>
              <th scope="col">Description</th>
              <th scope="col">Tags</th>
            </tr>
          </thead>
          <tbody>
            {e.fields.map((f) => (
              <tr key={f.name} data-testid={`field-${f.name}`}>
                <th scope="row">{f.name}</th>
                <td>{f.type}</td>
                <td>
                  <Badge tone={f.access === 'clear' ? 'ok' : f.access === 'masked' ? 'warn' : 'bad'} title={f.mask ?? undefined}>
                    {ACCESS_LABEL[f.access]}
                    {f.access === 'masked' && f.mask ? ` (${f.mask})` : ''}
                  </Badge>
                  {f.someRowsOnly && <span className="muted"> on some rows</span>}
                </td>
                <td>{f.description}</td>
                <td>{f.tags.join(', ')}</td>
              </tr>
            ))}
          </tbody>
        </table>
      ) : (
        <p className="muted">The owners keep the field names private until you have access.</p>
      )}
      <RequestAccess entry={e} startOpen={params.has('request')} />
    </div>
  );
}

/** How to get (more) access in plain words, and the request form behind a Request access button. */
function RequestAccess({ entry, startOpen }: { entry: CatalogEntry; startOpen: boolean }) {
  const [open, setOpen] = useState(startOpen && entry.requestable);
  const [reason, setReason] = useState('');
  const [days, setDays] = useState(30);
  const [fields, setFields] = useState<string[]>([]);
  const [error, setError] = useState<unknown>(null);
  const [done, setDone] = useState<string | null>(null);
  const [reasonBad, setReasonBad] = useState(false);
  const reasonRef = useRef<HTMLTextAreaElement>(null);
  const doneRef = useRef<HTMLParagraphElement>(null);
  const openerRef = useRef<HTMLButtonElement>(null);
  const wasOpen = useRef(false);
  // Opening moves the focus into the form; Cancel gives it back to the button that opened it.
  useEffect(() => {
    if (open && !done) reasonRef.current?.focus();
    else if (!open && wasOpen.current) openerRef.current?.focus();
    wasOpen.current = open;
  }, [open]);
  useEffect(() => {
    if (done) doneRef.current?.focus();
  }, [done]);
  const missing = (entry.fields ?? []).filter((f) => f.access !== 'clear');
  const submit = async (ev: FormEvent) => {
    ev.preventDefault();
    setError(null);
    setReasonBad(reason.trim().length < 5);
    if (reason.trim().length < 5) {
      reasonRef.current?.focus();
      return setError(new Error('Say why you need it (a few words): the owners decide on this.'));
    }
    try {
      const r = await gql<{ requestAccess: { id: string; status: string } }>(
        'mutation ConsoleRequestAccess($entity: String!, $fields: [String!], $reason: String!, $days: Int!) { requestAccess(entity: $entity, fields: $fields, reason: $reason, days: $days) { id status } }',
        { entity: entry.name, fields: fields.length ? fields : null, reason: reason.trim(), days },
      );
      setDone(r.data.requestAccess.id);
    } catch (e) {
      setError(e);
    }
  };
  return (
    <section aria-labelledby="req-title" className="panel">
      <h2 id="req-title">Your access</h2>
      <p data-testid="access-words">{accessInWords(entry)}</p>
      {done ? (
        <p role="status" className="notice" tabIndex={-1} ref={doneRef}>
          Request sent. Follow it under <Link to="/requests">Access requests</Link>; the owners ({entry.owner.team ?? 'see above'}) decide.
        </p>
      ) : entry.requestable && !open ? (
        <button type="button" ref={openerRef} onClick={() => setOpen(true)}>
          Request access
        </button>
      ) : entry.requestable ? (
        <form id="req-form" onSubmit={submit} aria-label={`Request access to ${entry.name}`} noValidate>
          {missing.length > 0 && (
            <fieldset>
              <legend>Fields (none checked: the whole entity)</legend>
              {missing.map((f) => (
                <label key={f.name} className="check">
                  <input type="checkbox" checked={fields.includes(f.name)} onChange={(e) => setFields(e.target.checked ? [...fields, f.name] : fields.filter((x) => x !== f.name))} /> {f.name}
                </label>
              ))}
            </fieldset>
          )}
          <label htmlFor="req-reason">Why you need it</label>
          <textarea id="req-reason" ref={reasonRef} rows={3} value={reason} onChange={(e) => setReason(e.target.value)} required aria-invalid={reasonBad} aria-describedby={reasonBad ? 'req-reason-help req-error' : 'req-reason-help'} />
          <p id="req-reason-help" className="help">
            The owners read this to decide.
          </p>
          <label htmlFor="req-days">For how many days</label>
          <input id="req-days" type="number" min={1} max={365} value={days} onChange={(e) => setDays(Number(e.target.value))} />
          <div id="req-error">
            <ErrorBox error={error} />
          </div>
          <p className="actions">
            <button type="submit">Send request</button>
            <button type="button" className="secondary" onClick={() => setOpen(false)}>
              Cancel
            </button>
          </p>
        </form>
      ) : null}
    </section>
  );
}
