import { useSyncExternalStore } from 'react';

export type ThemePreference = 'system' | 'dark' | 'light';
export type Theme = 'dark' | 'light';

const STORAGE_KEY = 'enclave.theme';
const prefersDark = matchMedia('(prefers-color-scheme: dark)');
const listeners = new Set<() => void>();

function preference(): ThemePreference {
  const stored = localStorage.getItem(STORAGE_KEY);
  return stored === 'dark' || stored === 'light' ? stored : 'system';
}

function resolve(pref: ThemePreference): Theme {
  if (pref !== 'system') return pref;
  return prefersDark.matches ? 'dark' : 'light';
}

/** Sets `data-theme` on <html>; the CSS custom properties hang off it. */
export function applyTheme(): void {
  document.documentElement.dataset.theme = resolve(preference());
}

function changed(): void {
  applyTheme();
  for (const listener of listeners) listener();
}

prefersDark.addEventListener('change', changed);
// Another window of the console changed the theme.
window.addEventListener('storage', (event) => event.key === STORAGE_KEY && changed());

export function setThemePreference(pref: ThemePreference): void {
  if (pref === 'system') localStorage.removeItem(STORAGE_KEY);
  else localStorage.setItem(STORAGE_KEY, pref);
  changed();
}

/** Flips between dark and light; an explicit choice stops following the system. */
export function toggleTheme(): void {
  setThemePreference(resolve(preference()) === 'dark' ? 'light' : 'dark');
}

function subscribe(listener: () => void): () => void {
  listeners.add(listener);
  return () => listeners.delete(listener);
}

// A string snapshot, so a system switch under 'system' re-renders too.
const snapshot = (): `${ThemePreference}:${Theme}` => `${preference()}:${resolve(preference())}`;

export function useTheme(): { preference: ThemePreference; theme: Theme } {
  const [pref, theme] = useSyncExternalStore(subscribe, snapshot).split(':') as [ThemePreference, Theme];
  return { preference: pref, theme };
}
