import { useEffect, useRef, useState, type FormEvent } from 'react';
import { setToken } from '../api';
import { ErrorBox } from '../ui';

interface DemoUser {
  name: string;
  displayName: string;
  roles: string[];
}

/** Paste a token, or (development deployments with identity.users) pick a demo user. */
export function SignIn({ notice, onSignedIn }: { notice: string | null; onSignedIn: (token: string) => void }) {
  const [token, setTokenText] = useState('');
  const [users, setUsers] = useState<DemoUser[] | null>(null);
  const [error, setError] = useState<unknown>(null);
  const [busy, setBusy] = useState(false);
  const noticeRef = useRef<HTMLParagraphElement>(null);
  // Back here after a session ended or a sign-out: the focus goes to why, so a screen reader reads it.
  useEffect(() => noticeRef.current?.focus(), []);

  useEffect(() => {
    fetch('/console/demo-users')
      .then((r) => (r.ok ? r.json() : { users: null }))
      .then((b: { users: DemoUser[] | null }) => setUsers(b.users))
      .catch(() => setUsers(null));
  }, []);

  const check = async (t: string) => {
    setBusy(true);
    setError(null);
    try {
      const r = await fetch('/graphql', { method: 'POST', headers: { 'content-type': 'application/json', authorization: `Bearer ${t}` }, body: JSON.stringify({ query: '{ me { id } }' }) });
      if (r.status === 401) {
        const b = await r.json();
        throw new Error(`This token is not accepted: ${b.errors?.[0]?.extensions?.reason ?? b.errors?.[0]?.message}. Get a new one (e.g. npx datagate token <user>) and paste it again.`);
      }
      if (!r.ok) throw new Error(`The gateway answered HTTP ${r.status}; try again.`);
      setToken(t);
      onSignedIn(t);
    } catch (e) {
      setError(e);
    } finally {
      setBusy(false);
    }
  };

  const submit = (e: FormEvent) => {
    e.preventDefault();
    const t = token.trim().replace(/^Bearer\s+/i, '');
    if (!t) return setError(new Error('Paste your token first: it starts with "ey".'));
    void check(t);
  };

  const pick = async (user: string) => {
    setBusy(true);
    setError(null);
    try {
      const r = await fetch('/console/demo-token', { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ user }) });
      const b = await r.json();
      if (!r.ok) throw new Error(b.errors?.[0]?.message ?? `HTTP ${r.status}`);
      await check(b.token);
    } catch (e) {
      setError(e);
      setBusy(false);
    }
  };

  return (
    <main className="page signin" id="main">
      <h1>Sign in to datagate</h1>
      <p>Find data, ask for access, and read what your role allows: every page goes through the same policies and audit as any other client.</p>
      {notice && (
        <p className="notice" role="status" tabIndex={-1} ref={noticeRef}>
          {notice}
        </p>
      )}
      <ErrorBox error={error} />
      <form onSubmit={submit} aria-label="Sign in with a token">
        <label htmlFor="token">Your token</label>
        <textarea id="token" rows={3} value={token} onChange={(e) => setTokenText(e.target.value)} placeholder="eyJhbGciOi…" aria-describedby="token-help" />
        <p id="token-help" className="help">
          From your identity provider, or on a development gateway <code>npx datagate token &lt;user&gt;</code>. It stays in this browser tab only.
        </p>
        <button type="submit" disabled={busy}>
          Sign in
        </button>
      </form>
      {users && users.length > 0 && (
        <section aria-labelledby="demo-users">
          <h2 id="demo-users">Demo users</h2>
          <p className="help">This gateway is a development deployment: pick a user to sign in as.</p>
          <ul className="users">
            {users.map((u) => (
              <li key={u.name}>
                <button type="button" disabled={busy} onClick={() => void pick(u.name)} data-testid={`demo-user-${u.name}`}>
                  <strong>{u.displayName}</strong> <span className="muted">({u.name})</span> — {u.roles.join(', ')}
                </button>
              </li>
            ))}
          </ul>
        </section>
      )}
    </main>
  );
}
