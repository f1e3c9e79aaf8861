import type { KeyboardEvent } from 'react';
import { Icon } from '../ui/Icon';
import { pageHref, type PageId } from './navigation';
import { PAGES, type PageEntry } from './pages';
import { useSession } from './session';

const SECTIONS: PageEntry['section'][] = ['Console', 'Infrastructure', 'Workloads', 'Governance'];

/**
 * The page list is one Tab stop (the current page); the arrow keys, Home and End
 * move between pages, as in a desktop app's sidebar.
 */
function onNavKeyDown(event: KeyboardEvent<HTMLElement>) {
  const links = [...event.currentTarget.querySelectorAll<HTMLAnchorElement>('a[href]')];
  const at = links.indexOf(document.activeElement as HTMLAnchorElement);
  const target = { ArrowDown: at + 1, ArrowUp: at - 1, Home: 0, End: links.length - 1 }[event.key];
  if (target === undefined || at === -1) return;
  event.preventDefault();
  links[(target + links.length) % links.length]?.focus();
}

export function Sidebar({ current }: { current: PageId }) {
  const { info } = useSession();
  return (
    <aside className="sidebar">
      <div className="brand">
        <span className="brand-mark">
          <Icon name="shield" size={18} />
        </span>
        <span className="brand-name">Enclave Console</span>
      </div>
      <nav aria-label="Main" onKeyDown={onNavKeyDown}>
        {SECTIONS.map((section) => (
          <div key={section} className="nav-section">
            {section !== 'Console' && <h2 className="nav-heading">{section}</h2>}
            <ul>
              {PAGES.filter((p) => p.section === section).map((page) => (
                <li key={page.id}>
                  <a
                    className="nav-link"
                    href={pageHref(page.id)}
                    aria-current={page.id === current ? 'page' : undefined}
                    tabIndex={page.id === current ? 0 : -1}
                  >
                    <Icon name={page.icon} />
                    {page.title}
                  </a>
                </li>
              ))}
            </ul>
          </div>
        ))}
      </nav>
      <div className="sidebar-footer">
        <span className="status-dot" aria-hidden="true" />
        <span>
          <span className="sidebar-footer-label">Workstation</span>
          <span className="mono">{info.workstationId ?? 'not assigned'}</span>
        </span>
      </div>
    </aside>
  );
}
