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
  return (
    <div className="playground" data-testid="playground">
      <h1 className="sr-only">Query playground</h1>
      <GraphiQL fetcher={fetcher} defaultQuery={START} />
    </div>
  );
}
