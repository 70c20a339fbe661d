import { useEffect, useState, type FormEvent } from 'react';
import { gql } from '../api';
import { useSession } from '../session';
import { Badge, Empty, ErrorBox, Loading } from '../ui';

interface Entry {
  id: string;
  at: string;
  userId: string | null;
  roles: string[];
  operationName: string | null;
  entities: string[];
  fields: string[];
  rowCounts: Record<string, number>;
  masks: Record<string, string>;
  denials: { code: string; message: string }[];
  durationMs: number;
  outcome: string;
}

const Q = `query ConsoleAudit($filter: AuditFilterInput, $after: String) {
  auditLog(filter: $filter, first: 50, after: $after) {
    nodes { id at userId roles operationName entities fields rowCounts masks denials durationMs outcome }
    pageInfo { hasNextPage endCursor }
  }
}`;

/**
 * What an operation asked for at its root (`Query.customersConnection`, `Mutation.denyAccessRequest`):
 * recorded by the gateway from the document itself, whatever the client named the operation.
 */
const asked = (fields: string[]) => fields.filter((f) => /^(Query|Mutation|Subscription)\./.test(f));

/** `marketing + grant 0192f0c1…`: a grant's role names its access request by id, too long to show whole in a column. */
const rolesInShort = (roles: string[]) => roles.map((r) => (r.startsWith('grant:') ? `grant ${r.slice('grant:'.length, 'grant:'.length + 8)}…` : r)).join(', ');

/** The audit log for auditors: filters by user, entity, operation, outcome and time. */
export function AuditPage() {
  const { isAuditor } = useSession();
  const [form, setForm] = useState({ userId: '', entity: '', operationName: '', outcome: '', from: '', to: '' });
  const [filter, setFilter] = useState<Record<string, string>>({});
  const [cursors, setCursors] = useState<(string | null)[]>([null]);
  const [data, setData] = useState<{ nodes: Entry[]; next: string | null } | null>(null);
  const [error, setError] = useState<unknown>(null);
  const [loading, setLoading] = useState(false);
  const after = cursors[cursors.length - 1];
  const load = () => {
    setError(null);
    setLoading(true); // the records on screen stay until the next ones come, so Older and Newer keep the focus
    gql(Q, { filter, after })
      .then((r) => setData({ nodes: r.data.auditLog.nodes, next: r.data.auditLog.pageInfo.hasNextPage ? r.data.auditLog.pageInfo.endCursor : null }), setError)
      .finally(() => setLoading(false));
  };
  useEffect(() => {
    if (isAuditor) load();
  }, [JSON.stringify(filter), after]);
  if (!isAuditor)
    return (
      <div>
        <h1>Audit log</h1>
        <Empty>The audit log is for auditors. Ask the data platform team if your work needs it.</Empty>
      </div>
    );
  const submit = (e: FormEvent) => {
    e.preventDefault();
    const f: Record<string, string> = {};
    for (const [k, v] of Object.entries(form)) if (v.trim()) f[k] = k === 'from' || k === 'to' ? new Date(v).toISOString() : v.trim();
    setCursors([null]);
    setFilter(f);
  };
  return (
    <div>
      <h1>Audit log</h1>
      <form className="filters" onSubmit={submit} aria-label="Filter the audit log">
        <div>
          <label htmlFor="a-user">User</label>
          <input id="a-user" value={form.userId} onChange={(e) => setForm({ ...form, userId: e.target.value })} placeholder="bob" />
        </div>
        <div>
          <label htmlFor="a-entity">Entity</label>
          <input id="a-entity" value={form.entity} onChange={(e) => setForm({ ...form, entity: e.target.value })} placeholder="Customer" />
        </div>
        <div>
          <label htmlFor="a-op">Operation</label>
          <input id="a-op" value={form.operationName} onChange={(e) => setForm({ ...form, operationName: e.target.value })} placeholder="ConsoleExport" />
        </div>
        <div>
          <label htmlFor="a-outcome">Outcome</label>
          <select id="a-outcome" value={form.outcome} onChange={(e) => setForm({ ...form, outcome: e.target.value })}>
            <option value="">any</option>
            <option>ok</option>
            <option>partial</option>
            <option>denied</option>
            <option>error</option>
          </select>
        </div>
        <div>
          <label htmlFor="a-from">From</label>
          <input id="a-from" type="datetime-local" value={form.from} onChange={(e) => setForm({ ...form, from: e.target.value })} />
        </div>
        <div>
          <label htmlFor="a-to">To</label>
          <input id="a-to" type="datetime-local" value={form.to} onChange={(e) => setForm({ ...form, to: e.target.value })} />
        </div>
        <button type="submit">Filter</button>
      </form>
      <p className="muted" role="status" data-testid="audit-count">
        {loading ? 'Loading records…' : data ? `${data.nodes.length}${data.next ? '+' : ''} ${data.nodes.length === 1 ? 'record' : 'records'}${cursors.length > 1 ? ` (page ${cursors.length})` : ''}.` : ''}
      </p>
      <ErrorBox error={error} onRetry={load} />
      {!data && !error && <Loading what="the audit log" />}
      {data && data.nodes.length === 0 && <Empty>No record matches these filters.</Empty>}
      {data && data.nodes.length > 0 && (
        <div className="scroll">
          <table className="grid" aria-label="Audit records" aria-busy={loading} data-testid="audit">
            <thead>
              <tr>
                <th scope="col">When</th>
                <th scope="col">User</th>
                <th scope="col">Roles</th>
                <th scope="col">Operation</th>
                <th scope="col">Asked</th>
                <th scope="col">Entities</th>
                <th scope="col">Rows</th>
                <th scope="col">Masks</th>
                <th scope="col">Outcome</th>
              </tr>
            </thead>
            <tbody>
              {data.nodes.map((n) => (
                <tr key={n.id}>
                  <td>{new Date(n.at).toLocaleString()}</td>
                  <td>{n.userId ?? 'anonymous'}</td>
                  <td>{rolesInShort(n.roles)}</td>
                  <td>{n.operationName ?? '—'}</td>
                  <td>{asked(n.fields).join(', ') || '—'}</td>
                  <td>{n.entities.join(', ')}</td>
                  <td>{Object.entries(n.rowCounts ?? {}).map(([k, v]) => `${k}: ${v}`).join(', ')}</td>
                  <td>{Object.keys(n.masks ?? {}).join(', ') || '—'}</td>
                  <td>
                    <Badge tone={n.outcome === 'ok' ? 'ok' : n.outcome === 'partial' ? 'warn' : 'bad'}>{n.outcome}</Badge>
                    {n.denials?.length > 0 && <span className="muted"> {n.denials.map((d) => d.message).join('; ')}</span>}
                  </td>
                </tr>
              ))}
            </tbody>
          </table>
        </div>
      )}
      {data && (
        <nav className="pager" aria-label="Pages">
          <button type="button" aria-disabled={cursors.length === 1} onClick={() => cursors.length > 1 && setCursors(cursors.slice(0, -1))}>
            Newer
          </button>
          <button type="button" aria-disabled={!data.next} onClick={() => data.next && setCursors([...cursors, data.next])}>
            Older
          </button>
        </nav>
      )}
    </div>
  );
}
