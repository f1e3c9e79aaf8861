import { Icon } from '../ui/Icon';
import { Keys } from '../ui/Keys';
import { useToast } from '../ui/Toast';
import { toConsoleError } from './calls';
import { chordLabels } from './keybindings';
import type { PageEntry } from './pages';
import { useSession } from './session';
import { toggleTheme, useTheme } from './theme';

export function TopBar({
  page,
  onOpenPalette,
  onOpenHelp,
}: {
  page: PageEntry;
  onOpenPalette: () => void;
  onOpenHelp: () => void;
}) {
  const { session, signOut } = useSession();
  const { theme } = useTheme();
  const toast = useToast();
  const operator = session.operator;
  const initials = operator.displayName
    .split(/\s+/)
    .map((word) => word[0] ?? '')
    .join('')
    .slice(0, 2)
    .toUpperCase();

  const onSignOut = () =>
    signOut().catch((error: unknown) =>
      toast({ tone: 'danger', title: `Sign out failed: ${toConsoleError(error).message}` }),
    );

  return (
    <header className="topbar">
      {/* Where the operator is; the page's own heading says it again for screen readers. */}
      <p className="topbar-title" aria-hidden="true">
        <span className="muted">{page.section}</span>
        <span className="topbar-separator">/</span>
        {page.title}
      </p>
      <button
        type="button"
        className="palette-trigger"
        onClick={onOpenPalette}
        aria-label="Open the command palette"
        aria-keyshortcuts="Control+K"
      >
        <Icon name="search" size={14} />
        <span>Search commands and pages…</span>
        <Keys chords={[chordLabels('Ctrl+K')]} />
      </button>
      <div className="topbar-actions">
        <button
          type="button"
          className="button-icon"
          onClick={onOpenHelp}
          aria-label="Keyboard shortcuts"
          aria-keyshortcuts="?"
          title="Keyboard shortcuts (?)"
        >
          <Icon name="keyboard" />
        </button>
        <button
          type="button"
          className="button-icon"
          onClick={toggleTheme}
          aria-label={theme === 'dark' ? 'Switch to the light theme' : 'Switch to the dark theme'}
          title={theme === 'dark' ? 'Light theme' : 'Dark theme'}
        >
          <Icon name={theme === 'dark' ? 'sun' : 'moon'} />
        </button>
        <div
          className="operator"
          aria-label={`Signed in as ${operator.displayName} (${operator.name})`}
          role="group"
        >
          <span className="avatar" aria-hidden="true">
            {initials}
          </span>
          <span className="operator-text">
            <span className="operator-name">{operator.displayName}</span>
            <span className="operator-roles">{operator.roles.join(' · ')}</span>
          </span>
        </div>
        <button type="button" className="button button-quiet" onClick={onSignOut}>
          <Icon name="signOut" size={14} />
          Sign out
        </button>
      </div>
    </header>
  );
}
