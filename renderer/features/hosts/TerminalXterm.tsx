import { Terminal, type ITerminalInitOnlyOptions, type ITerminalOptions } from '@xterm/xterm';
import '@xterm/xterm/css/xterm.css';
import './terminal.css';

/**
 * xterm.js under the console's strict CSP (style-src 'self', no 'unsafe-inline').
 * Its static CSS comes from the bundle (the import above); but its DOM renderer also
 * creates <style> elements at run time for theme colours and cell sizes, which the
 * CSP refuses. While a terminal is mounted, document.createElement('style') therefore
 * hands out an inert stand-in whose textContent feeds a constructed stylesheet in
 * document.adoptedStyleSheets (CSSOM, which the CSP allows). xterm only ever sets
 * textContent and calls remove() on those elements.
 */
let mounted = 0;
let patched = false;

function installStyleShim(): void {
  if (patched) return;
  patched = true;
  const create = document.createElement.bind(document);
  document.createElement = ((tag: string, options?: ElementCreationOptions) =>
    mounted > 0 && tag.toLowerCase() === 'style'
      ? adoptedStyle(create)
      : create(tag, options)) as typeof document.createElement;
}

function adoptedStyle(create: (tag: string) => HTMLElement): HTMLElement {
  const element = create('enclave-style');
  element.hidden = true;
  const sheet = new CSSStyleSheet();
  let text = '';
  const adopt = (on: boolean) => {
    const others = document.adoptedStyleSheets.filter((s) => s !== sheet);
    document.adoptedStyleSheets = on ? [...others, sheet] : others;
  };
  Object.defineProperty(element, 'textContent', {
    get: () => text,
    set: (value: string | null) => {
      text = value ?? '';
      sheet.replaceSync(text);
      adopt(true);
    },
  });
  const remove = element.remove.bind(element);
  element.remove = () => {
    adopt(false);
    remove();
  };
  return element;
}

function cssVar(name: string, fallback: string): string {
  return getComputedStyle(document.documentElement).getPropertyValue(name).trim() || fallback;
}

/** A new xterm.js terminal themed like the console; dispose() it to unmount. */
export function createXterm(options: ITerminalOptions & ITerminalInitOnlyOptions = {}): Terminal {
  installStyleShim();
  mounted++;
  const term = new Terminal({
    fontFamily: cssVar('--font-mono', 'monospace'),
    fontSize: 13,
    scrollback: 5000,
    allowProposedApi: false,
    theme: {
      background: '#0b0e12',
      foreground: '#d7dde6',
      cursor: '#d7dde6',
      selectionBackground: 'rgba(120, 160, 255, 0.35)',
    },
    ...options,
  });
  let disposed = false;
  const dispose = term.dispose.bind(term);
  term.dispose = () => {
    if (disposed) return;
    disposed = true;
    dispose();
    mounted--;
  };
  return term;
}

/** Ctrl+Shift+C copies the selection, Ctrl+Shift+V pastes (as terminals do; plain Ctrl+C stays ^C). */
export function clipboardKeys(term: Terminal, copy: (text: string) => void): void {
  term.attachCustomKeyEventHandler((event) => {
    if (event.type !== 'keydown' || !event.ctrlKey || !event.shiftKey) return true;
    if (event.code === 'KeyC') {
      event.preventDefault();
      event.stopPropagation();
      if (term.hasSelection()) copy(term.getSelection());
      return false;
    }
    if (event.code === 'KeyV') {
      event.preventDefault();
      event.stopPropagation();
      navigator.clipboard.readText().then(
        (text) => term.paste(text),
        () => undefined, // no clipboard permission: the browser's own paste (middle click, menu) still works
      );
      return false;
    }
    return true;
  });
}
