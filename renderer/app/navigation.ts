import { useCallback, useSyncExternalStore } from 'react';

export const PAGE_IDS = [
  'overview',
  'hosts',
  'gpus',
  'clusters',
  'tenants',
  'bundles',
  'audit',
  'settings',
] as const;
export type PageId = (typeof PAGE_IDS)[number];

interface Route {
  page: PageId;
  /** An element on the page to bring into view and focus, e.g. the "Add operator" form. */
  section: string | null;
}

// Routes live in the address hash ("#/audit") so a reload keeps the page, in the
// harness and in Electron alike.
function parse(hash: string): Route {
  const match = /^#\/([a-z]+)(?:\/([\w.-]+))?$/.exec(hash);
  const page = PAGE_IDS.find((id) => id === match?.[1]) ?? 'overview';
  return { page, section: match?.[2] ?? null };
}

let cached: { hash: string; route: Route } = { hash: '', route: parse('') };

function snapshot(): Route {
  if (cached.hash !== location.hash) cached = { hash: location.hash, route: parse(location.hash) };
  return cached.route;
}

function subscribe(listener: () => void): () => void {
  window.addEventListener('hashchange', listener);
  return () => window.removeEventListener('hashchange', listener);
}

export function pageHref(page: PageId, section?: string): string {
  return section ? `#/${page}/${section}` : `#/${page}`;
}

export function useRoute(): Route & { navigate: (page: PageId, section?: string) => void } {
  const route = useSyncExternalStore(subscribe, snapshot);
  const navigate = useCallback((page: PageId, section?: string) => {
    location.hash = pageHref(page, section);
  }, []);
  return { ...route, navigate };
}
