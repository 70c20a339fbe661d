import { StrictMode, useCallback, useEffect, useState, lazy, Suspense } from 'react';
import { createRoot } from 'react-dom/client';
import type { GraphQLSchema } from 'graphql';
import { clearToken, getToken, gql, SIGNED_OUT } from './api';
import { Link, useLocation } from './router';
import { loadSchema } from './schema';
import { SessionContext, type Me, type Session } from './session';
import { ErrorBox, Loading } from './ui';
import { SignIn } from './pages/SignIn';
import { Catalog } from './pages/Catalog';
import { EntityPage } from './pages/Entity';
import { Requests } from './pages/Requests';
import { TablePage } from './pages/Table';
import { AuditPage } from './pages/Audit';
import './styles.css';

// GraphiQL is large: loaded only when the playground opens (still bundled, no CDN).
const Playground = lazy(() => import('./pages/Playground'));

function App() {
  const [token, setTokenState] = useState(getToken());
  const [session, setSession] = useState<Session | null>(null);
  const [error, setError] = useState<unknown>(null);
  const [notice, setNotice] = useState<string | null>(null);

  const signOut = useCallback((message?: string) => {
    clearToken();
    setSession(null);
    setTokenState(null);
    setNotice(message ?? null);
  }, []);

  const load = useCallback(async (): Promise<GraphQLSchema | null> => {
    setError(null);
    try {
      const [me, schema] = await Promise.all([gql<{ me: Me }>('query ConsoleMe { me { id roles tokenRoles attributes } }'), loadSchema()]);
      const auditor = Object.values(schema.getQueryType()!.getFields()).some((f) => f.name === 'auditLog');
      setSession({ me: me.data.me, schema, refresh: load, signOut, isAuditor: auditor });
      return schema;
    } catch (e) {
      setError(e);
      return null;
    }
  }, [signOut]);

  useEffect(() => {
    const on = (e: Event) => signOut((e as CustomEvent<string>).detail);
    window.addEventListener(SIGNED_OUT, on);
    return () => window.removeEventListener(SIGNED_OUT, on);
  }, [signOut]);

  useEffect(() => {
    if (token) void load();
  }, [token, load]);

  if (!token)
    return (
      <SignIn
        notice={notice}
        onSignedIn={(t) => {
          setNotice(null);
          setTokenState(t);
        }}
      />
    );
  if (!session) return <main className="page">{error ? <ErrorBox error={error} onRetry={load} /> : <Loading what="your access" />}</main>;
  return (
    <SessionContext.Provider value={session}>
      <Shell />
    </SessionContext.Provider>
  );
}

/**
 * After a navigation the focus goes to the new page's main heading (a screen reader reads where it
 * landed, and Tab starts from there), and the tab's title follows. Pages render their h1 at once,
 * even while loading; a few frames' grace covers the lazy playground.
 */
function useFocusHeading(path: string) {
  useEffect(() => {
    let frame = 0;
    let tries = 0;
    const find = () => {
      const h = document.querySelector<HTMLElement>('#main h1');
      if (h) {
        h.tabIndex = -1;
        h.focus();
        document.title = `${h.textContent} · datagate`;
      } else if (tries++ < 120) frame = requestAnimationFrame(find);
    };
    find();
    return () => cancelAnimationFrame(frame);
  }, [path]);
}

function Shell() {
  const { path, params, state } = useLocation();
  useFocusHeading(path);
  return (
    <SessionContext.Consumer>
      {(s) => (
        <>
          <a className="skip" href="#main">
            Skip to content
          </a>
          <header className="top">
            <span className="brand">datagate</span>
            <nav aria-label="Main">
              <Link to="/catalog" aria-current={path === '/' || path.startsWith('/catalog') || path.startsWith('/entity') ? 'page' : undefined}>
                Catalog
              </Link>
              <Link to="/requests" aria-current={path.startsWith('/requests') ? 'page' : undefined}>
                Access requests
              </Link>
              <Link to="/playground" aria-current={path.startsWith('/playground') ? 'page' : undefined}>
                Playground
              </Link>
              {s!.isAuditor && (
                <Link to="/audit" aria-current={path.startsWith('/audit') ? 'page' : undefined}>
                  Audit log
                </Link>
              )}
            </nav>
            <div className="who" data-testid="who">
              Signed in as <strong>{s!.me.id ?? 'anonymous'}</strong> · roles: {s!.me.roles.filter((r) => !r.startsWith('grant:')).join(', ') || 'none'}
              {s!.me.roles.some((r) => r.startsWith('grant:')) && ` + ${s!.me.roles.filter((r) => r.startsWith('grant:')).length} granted access`}
              <button type="button" onClick={() => s!.signOut('You signed out.')}>
                Sign out
              </button>
            </div>
          </header>
          <main id="main" className="page" tabIndex={-1}>
            {route(path, params, state)}
          </main>
        </>
      )}
    </SessionContext.Consumer>
  );
}

function route(path: string, params: URLSearchParams, state: unknown) {
  const parts = path.split('/').filter(Boolean).map(decodeURIComponent);
  switch (parts[0] ?? 'catalog') {
    case 'catalog':
      return <Catalog params={params} />;
    case 'entity':
      return <EntityPage entity={parts[1] ?? ''} params={params} />;
    case 'table':
      return <TablePage key={parts[1]} entity={parts[1] ?? ''} params={params} state={state} />;
    case 'requests':
      return <Requests />;
    case 'playground':
      return (
        <Suspense fallback={<Loading what="the playground" />}>
          <Playground />
        </Suspense>
      );
    case 'audit':
      return <AuditPage />;
    default:
      return (
        <div>
          <h1>Page not found</h1>
          <p>
            Nothing lives at <code>{path}</code>. Go to the <Link to="/catalog">catalog</Link>.
          </p>
        </div>
      );
  }
}

createRoot(document.getElementById('root')!).render(
  <StrictMode>
    <App />
  </StrictMode>,
);
