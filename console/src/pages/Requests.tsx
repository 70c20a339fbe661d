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
  revokedBy: string | null;
  revokedAt: string | null;
  canDecide: boolean;
  /** Why the grant was revoked: kept in the request's history only (accessRequest's events). */
  revokeComment?: string | null;
}

const FIELDS = 'id status requester entity fields reason days createdAt decidedBy comment expiresAt revokedBy revokedAt canDecide';

/**
 * The comments given when grants were revoked: a listing carries the decider's comment only, the
 * revocation's is in each request's history. One query for all of them (aliases).
 */
async function withRevokeComments(lists: Req[][]): Promise<void> {
  const revoked = [...new Set(lists.flat().filter((r) => r.status === 'revoked').map((r) => r.id))];
  if (!revoked.length) return;
  const vars = revoked.map((_, i) => `$r${i}: ID!`).join(', ');
  const picks = revoked.map((_, i) => `r${i}: accessRequest(id: $r${i}) { events { to comment } }`).join(' ');
  const r = await gql<Record<string, { events: { to: string; comment: string | null }[] | null }>>(
    `query ConsoleRequestHistory(${vars}) { ${picks} }`,
    Object.fromEntries(revoked.map((id, i) => [`r${i}`, id])),
  );
  const comments = new Map(revoked.map((id, i) => [id, [...(r.data[`r${i}`]?.events ?? [])].reverse().find((e) => e.to === 'revoked')?.comment ?? null]));
  for (const req of lists.flat()) if (comments.has(req.id)) req.revokeComment = comments.get(req.id);
}

const TONE = { requested: 'info', approved: 'ok', denied: 'bad', expired: 'warn', revoked: 'warn' } as const;

/** The caller's own requests, and for owners the queue to decide and the grants they may revoke. */
export function Requests() {
  const { refresh, me } = useSession();
  const [mine, setMine] = useState<Req[] | null>(null);
  const [toDecide, setToDecide] = useState<Req[] | null>(null);
  const [error, setError] = useState<unknown>(null);
  const [done, setDone] = useState('');
  const doneRef = useRef<HTMLParagraphElement>(null);
  const load = () => {
    setError(null);
    gql<{ mine: Req[]; toDecide: Req[] }>(`query ConsoleRequests { mine: accessRequests(scope: mine) { ${FIELDS} } toDecide: accessRequests(scope: toDecide) { ${FIELDS} } }`)
      .then(async (r) => {
        await withRevokeComments([r.data.mine, r.data.toDecide]);
        // A grant approved (or ended) since the session read the caller's schema: read it again, so
        // "Open … as a table" opens what the caller may read now, not what they could at sign-in.
        // Before the cards change: the page never shows a grant ended while the header still lists it.
        const approved = new Set(r.data.mine.filter((q) => q.status === 'approved' && Date.parse(q.expiresAt!) > Date.now()).map((q) => q.id));
        const held = new Set(me.roles.filter((x) => x.startsWith('grant:')).map((x) => x.slice('grant:'.length)));
        if ([...approved].some((id) => !held.has(id)) || [...held].some((id) => !approved.has(id))) await refresh();
        setMine(r.data.mine);
        setToDecide(r.data.toDecide);
      })
      .catch(setError);
  };
  useEffect(load, []);
  /** After a decision the card (and the button pressed) moves away: the focus goes to what happened. */
  const after = (what: string) => {
    setDone(what);
    doneRef.current?.focus();
    load(); // re-reads the caller's schema too when they gave a grant of their own back
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
      // One operation name per decision, so the audit log can be filtered by what the owner did.
      const [operation, verb] = ({ approveAccessRequest: ['ConsoleApprove', 'Approved'], denyAccessRequest: ['ConsoleDeny', 'Denied'], revokeAccess: ['ConsoleRevoke', 'Revoked'] } as const)[mutation];
      await gql(`mutation ${operation}($id: ID!, $comment: String) { ${mutation}(id: $id, comment: $comment) { id status } }`, { id: r.id, comment: comment.trim() || null });
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
      {r.decidedBy && (
        <p data-testid="decision">
          {r.decidedBy} {r.status === 'denied' ? 'denied' : 'approved'} it{r.comment ? <>: “{r.comment}”</> : '.'}
        </p>
      )}
      {r.status === 'revoked' && (
        <p data-testid="revocation">
          {r.revokedBy} revoked it on {new Date(r.revokedAt!).toLocaleString()}
          {r.revokeComment ? <>: “{r.revokeComment}”</> : '.'}
        </p>
      )}
      {r.expiresAt && (
        <p className="muted">
          {r.status === 'approved' ? 'Until' : r.status === 'expired' ? 'Ended' : 'It was to last until'} {new Date(r.expiresAt).toLocaleString()}
        </p>
      )}
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
