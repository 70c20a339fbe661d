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
  // GraphiQL 4's editors (query, variables, headers, result) are CodeMirror editors, loaded after the
  // page, whose focusable textareas have no name: a screen reader would announce unnamed edit fields.
  // Named here, whenever GraphiQL (re)creates one, after the editor it belongs to.
  useEffect(() => {
    const el = root.current;
    if (!el) return;
    const labelOf = (t: Element): string | undefined => {
      if (t.closest('.result-window')) return 'Result of the query (read only)';
      if (t.closest('.graphiql-query-editor')) return 'Query editor';
      const tool = t.closest('.graphiql-editor-tool');
      if (!tool) return undefined;
      // The variables editor comes first in GraphiQL's editor tools, the headers editor second.
      const editors = Array.from(tool.querySelectorAll(':scope > .graphiql-editor'));
      return editors.indexOf(t.closest('.graphiql-editor')!) === 1 ? 'Request headers (JSON)' : 'Query variables (JSON)';
    };
    const name = () =>
      el.querySelectorAll('textarea:not([aria-label])').forEach((t) => {
        const label = labelOf(t);
        if (label) t.setAttribute('aria-label', label);
      });
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
