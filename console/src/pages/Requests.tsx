import { useEffect, useRef, useState } from 'react';
import { gql } from '../api';
import { Link } from '../router';
import { useSession } from '../session';
import { Badge, Empty, ErrorBox, Loading } from '../ui';

interface Req {
  id: string;
  status: 'requested' | 'approved' | 'denied' | 'expired' | 'revoked';
  requester: string;
  entity: string;
  fields: string[];
  reason: string;
  days: number;
  createdAt: string;
  decidedBy: string | null;
  comment: string | null;
  expiresAt: string | null;
  canDecide: boolean;
}

const FIELDS = 'id status requester entity fields reason days createdAt decidedBy comment expiresAt canDecide';
const TONE = { requested: 'info', approved: 'ok', denied: 'bad', expired: 'warn', revoked: 'warn' } as const;

/** The caller's own requests, and for owners the queue to decide and the grants they may revoke. */
export function Requests() {
  const { refresh } = useSession();
  const [mine, setMine] = useState<Req[] | null>(null);
  const [toDecide, setToDecide] = useState<Req[] | null>(null);
  const [error, setError] = useState<unknown>(null);
  const [done, setDone] = useState('');
  const doneRef = useRef<HTMLParagraphElement>(null);
  const load = () => {
    setError(null);
    gql<{ mine: Req[]; toDecide: Req[] }>(`query ConsoleRequests { mine: accessRequests(scope: mine) { ${FIELDS} } toDecide: accessRequests(scope: toDecide) { ${FIELDS} } }`).then((r) => {
      setMine(r.data.mine);
      setToDecide(r.data.toDecide);
    }, setError);
  };
  useEffect(load, []);
  /** After a decision the card (and the button pressed) moves away: the focus goes to what happened. */
  const after = async (what: string) => {
    setDone(what);
    doneRef.current?.focus();
    load();
    await refresh(); // a grant changes the caller's schema
  };
  const status = (
    <p className="muted" role="status" tabIndex={-1} ref={doneRef} data-testid="requests-status">
      {done}
    </p>
  );
  if (error || !mine || !toDecide)
    return (
      <div>
        <h1>Access requests</h1>
        {status}
        {error ? <ErrorBox error={error} onRetry={load} /> : <Loading what="access requests" />}
      </div>
    );
  const pending = toDecide.filter((r) => r.status === 'requested');
  const active = toDecide.filter((r) => r.status === 'approved');
  return (
    <div>
      <h1>Access requests</h1>
      {status}
      {(pending.length > 0 || active.length > 0 || toDecide.length > 0) && (
        <section aria-labelledby="decide">
          <h2 id="decide">To decide ({pending.length})</h2>
          {pending.length === 0 ? <Empty>No request waits for you.</Empty> : <List items={pending} decide onChange={after} />}
          <h2>Grants in force on data you own ({active.length})</h2>
          {active.length === 0 ? <Empty>No grant in force.</Empty> : <List items={active} revoke onChange={after} />}
        </section>
      )}
      <section aria-labelledby="mine">
        <h2 id="mine">My requests</h2>
        {mine.length === 0 ? (
          <Empty>
            You have asked for nothing yet. Find data in the <Link to="/catalog">catalog</Link> and request access from its page.
          </Empty>
        ) : (
          <List items={mine} revoke onChange={after} own />
        )}
      </section>
    </div>
  );
}

function List({ items, decide, revoke, own, onChange }: { items: Req[]; decide?: boolean; revoke?: boolean; own?: boolean; onChange: (what: string) => void }) {
  return (
    <ul className="cards">
      {items.map((r) => (
        <Item key={r.id} r={r} decide={decide} revoke={revoke && r.status === 'approved'} own={own} onChange={onChange} />
      ))}
    </ul>
  );
}

function Item({ r, decide, revoke, own, onChange }: { r: Req; decide?: boolean; revoke?: boolean; own?: boolean; onChange: (what: string) => void }) {
  const [comment, setComment] = useState('');
  const [error, setError] = useState<unknown>(null);
  const act = async (mutation: 'approveAccessRequest' | 'denyAccessRequest' | 'revokeAccess') => {
    setError(null);
    if (mutation === 'denyAccessRequest' && !comment.trim()) return setError(new Error('Say why you deny it in the comment: the requester reads it.'));
    try {
      await gql(`mutation ConsoleDecide($id: ID!, $comment: String) { ${mutation}(id: $id, comment: $comment) { id status } }`, { id: r.id, comment: comment.trim() || null });
      const verb = { approveAccessRequest: 'Approved', denyAccessRequest: 'Denied', revokeAccess: 'Revoked' }[mutation];
      onChange(`${verb}: ${own ? 'your' : `${r.requester}’s`} access to ${r.entity}${r.fields.length ? ` (${r.fields.join(', ')})` : ''}.`);
    } catch (e) {
      setError(e);
    }
  };
  const cid = `comment-${r.id}`;
  const hid = `request-title-${r.id}`;
  const whose = own ? `your request for ${r.entity}` : `${r.requester}’s request for ${r.entity}`;
  return (
    <li className="card" data-testid={`request-${r.entity}-${r.status}`}>
      <h3 id={hid}>
        <Link to={`/entity/${encodeURIComponent(r.entity)}`}>{r.entity}</Link> {r.fields.length ? <span className="muted">({r.fields.join(', ')})</span> : <span className="muted">(whole entity)</span>}{' '}
        <Badge tone={TONE[r.status]}>{r.status}</Badge>
      </h3>
      <p>
        {own ? 'You asked' : <strong>{r.requester}</strong>} for {r.days} days on {new Date(r.createdAt).toLocaleString()}: “{r.reason}”
      </p>
      {r.comment && (
        <p>
          {r.decidedBy}: “{r.comment}”
        </p>
      )}
      {r.expiresAt && <p className="muted">Until {new Date(r.expiresAt).toLocaleString()}</p>}
      {own && r.status === 'approved' && (
        <p>
          <Link to={`/table/${encodeURIComponent(r.entity)}`}>Open {r.entity} as a table</Link>
        </p>
      )}
      {((decide && r.canDecide) || revoke) && (
        <div className="actions">
          <label htmlFor={cid}>
            Comment<span className="sr-only"> on {whose}</span>
          </label>
          <input id={cid} value={comment} onChange={(e) => setComment(e.target.value)} placeholder={decide ? 'approved for the Q3 campaign' : 'no longer needed'} />
          {decide && r.canDecide && (
            <>
              <button type="button" onClick={() => void act('approveAccessRequest')} aria-describedby={hid}>
                Approve
              </button>
              <button type="button" className="danger" onClick={() => void act('denyAccessRequest')} aria-describedby={hid}>
                Deny
              </button>
            </>
          )}
          {revoke && (
            <button type="button" className="danger" onClick={() => void act('revokeAccess')} aria-describedby={hid}>
              Revoke
            </button>
          )}
        </div>
      )}
      <ErrorBox error={error} />
    </li>
  );
}
