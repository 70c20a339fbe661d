import { useEffect, useRef } from 'react';
import { GraphiQL } from 'graphiql';
import 'graphiql/style.css';
import { authHeaders } from '../api';

const fetcher = async (params: unknown) => {
  const r = await fetch('/graphql', { method: 'POST', headers: { 'content-type': 'application/json', ...authHeaders() }, body: JSON.stringify(params) });
  return r.json();
};

const START = `# Your own schema: only the entities and fields your roles may read.
# Ctrl-Space completes, Ctrl-Enter runs.
{
  me { id roles }
  myAccess { entity fields masked filterable rowCondition }
}
`;

/** GraphiQL with the caller's token: bundled with the console, no CDN. */
export default function Playground() {
  const root = useRef<HTMLDivElement>(null);
  // GraphiQL 4's result pane is a CodeMirror editor whose (read-only, focusable) textarea has no
  // name: a screen reader would announce an unnamed edit field. Named here, whenever GraphiQL (re)creates it.
  useEffect(() => {
    const el = root.current;
    if (!el) return;
    const name = () => el.querySelectorAll('.result-window textarea:not([aria-label])').forEach((t) => t.setAttribute('aria-label', 'Result of the query (read only)'));
    name();
    const observer = new MutationObserver(name);
    observer.observe(el, { childList: true, subtree: true });
    return () => observer.disconnect();
  }, []);
  return (
    <div className="playground" data-testid="playground" ref={root}>
      <h1 className="sr-only">Query playground</h1>
      <GraphiQL fetcher={fetcher} defaultQuery={START} />
    </div>
  );
}
