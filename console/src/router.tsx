import { useEffect, useState, type AnchorHTMLAttributes, type MouseEvent } from 'react';

/**
 * A tiny history-API router: the gateway answers every client route with index.html. A page may
 * keep what a link cannot carry in the history entry's state (it survives a reload of the tab,
 * not a copied link).
 */
export function navigate(to: string, opts: { state?: unknown; replace?: boolean } = {}): void {
  if (opts.replace) window.history.replaceState(opts.state ?? null, '', to);
  else window.history.pushState(opts.state ?? null, '', to);
  window.dispatchEvent(new PopStateEvent('popstate', { state: opts.state ?? null }));
}

interface Loc {
  href: string;
  state: unknown;
}

export function useLocation(): { path: string; params: URLSearchParams; state: unknown } {
  const read = (): Loc => ({ href: window.location.pathname + window.location.search, state: window.history.state });
  const [loc, setLoc] = useState(read);
  useEffect(() => {
    const on = () => setLoc(read());
    window.addEventListener('popstate', on);
    return () => window.removeEventListener('popstate', on);
  }, []);
  const [path, search = ''] = loc.href.split('?');
  return { path, params: new URLSearchParams(search), state: loc.state };
}

export function Link({ to, ...rest }: { to: string } & AnchorHTMLAttributes<HTMLAnchorElement>) {
  const onClick = (e: MouseEvent<HTMLAnchorElement>) => {
    if (e.metaKey || e.ctrlKey || e.shiftKey || e.altKey || e.button !== 0) return;
    e.preventDefault();
    navigate(to);
  };
  return <a href={to} onClick={onClick} {...rest} />;
}
