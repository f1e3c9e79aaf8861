import { useEffect, useRef, useState } from 'react';
import { CommandPalette } from './CommandPalette';
import { CommandsProvider, useConsoleCommands, useGlobalKeyBindings } from './commands';
import { KeyboardHelp } from './KeyboardHelp';
import { useRoute } from './navigation';
import { PAGES } from './pages';
import { Sidebar } from './Sidebar';
import { TopBar } from './TopBar';

/** The signed-in window: sidebar, top bar, the current page, the palette and keyboard help. */
export function Frame() {
  const [paletteOpen, setPaletteOpen] = useState(false);
  const [helpOpen, setHelpOpen] = useState(false);
  const route = useRoute();
  const mainRef = useRef<HTMLElement>(null);
  const commands = useConsoleCommands({
    togglePalette: () => setPaletteOpen((open) => !open),
    openHelp: () => setHelpOpen(true),
  });
  useGlobalKeyBindings(commands);

  const page = PAGES.find((p) => p.id === route.page) ?? PAGES[0];
  if (!page) throw new Error('no pages are registered');
  const Page = page.component;

  useEffect(() => {
    document.title = `${page.title} · Enclave Console`;
    mainRef.current?.scrollTo(0, 0);
  }, [page.title]);

  // A palette entry such as "Add operator…" lands on its form or button: bring it into view and focus it.
  useEffect(() => {
    if (!route.section) return;
    const target = document.getElementById(route.section);
    if (!target) return;
    target.scrollIntoView({ block: 'nearest' });
    const controls = 'input, select, textarea, button';
    (target.matches(controls) ? target : target.querySelector<HTMLElement>(controls))?.focus();
  }, [route.page, route.section]);

  return (
    <CommandsProvider value={commands}>
      <div className="frame">
        <a
          className="skip-link"
          href="#main-content"
          // The address hash holds the route, so move focus instead of following the link.
          onClick={(event) => {
            event.preventDefault();
            mainRef.current?.focus();
          }}
        >
          Skip to content
        </a>
        <Sidebar current={page.id} />
        <div className="frame-body">
          <TopBar
            page={page}
            onOpenPalette={() => setPaletteOpen(true)}
            onOpenHelp={() => setHelpOpen(true)}
          />
          <main id="main-content" ref={mainRef} tabIndex={-1} aria-label={page.title}>
            <Page key={page.id} />
          </main>
        </div>
        <CommandPalette open={paletteOpen} onClose={() => setPaletteOpen(false)} />
        <KeyboardHelp open={helpOpen} onClose={() => setHelpOpen(false)} />
      </div>
    </CommandsProvider>
  );
}
