import { createContext, useContext, useEffect, useRef } from 'react';
import { api, rolesAllow, type AnyProcedure, type ProcedureId } from '../../shared/api';
import { paletteProcedures } from '../../shared/client';
import type { Role } from '../../shared/roles';
import type { IconName } from '../ui/Icon';
import { useToast, type ToastMessage } from '../ui/Toast';
import { takesNoInput, toConsoleError } from './calls';
import { useClient } from './connection';
import { hasCommandModifier, isTypingTarget, matchesChord, type Binding } from './keybindings';
import { PAGE_IDS, useRoute } from './navigation';
import { PAGES } from './pages';
import { useSession } from './session';
import { toggleTheme, useTheme } from './theme';

export type CommandGroup = 'Go to' | 'Actions' | 'Console';

/** One thing the operator can do by palette, key binding or both. */
export interface ConsoleCommand {
  id: string;
  title: string;
  group: CommandGroup;
  icon: IconName;
  keys?: Binding;
  keywords?: string[];
  /** Listed in the command palette (opening the palette itself is not). */
  inPalette: boolean;
  run: () => void;
}

/** Palette icons by capability, the part of the procedure id before the dot. */
const ACTION_ICONS: Record<string, IconName> = {
  session: 'signOut',
  system: 'play',
  audit: 'audit',
  operators: 'plus',
};

const CommandsContext = createContext<readonly ConsoleCommand[]>([]);
export const CommandsProvider = CommandsContext;

export function useCommands(): readonly ConsoleCommand[] {
  return useContext(CommandsContext);
}

/** Procedures the operator's roles allow that have a palette entry or a key binding. */
function procedureActions(roles: readonly Role[]): AnyProcedure[] {
  const listed: AnyProcedure[] = paletteProcedures(roles);
  const boundOnly = Object.values(api as Record<string, AnyProcedure>).filter(
    (p) => p.action?.keybinding && !p.action.palette && p.roles !== 'public' && rolesAllow(p, roles),
  );
  return [...listed, ...boundOnly];
}

/**
 * Every command of the signed-in frame: page navigation, console actions, and the
 * procedures declared with an `action` in the contract.
 */
export function useConsoleCommands(ui: {
  togglePalette: () => void;
  openHelp: () => void;
}): ConsoleCommand[] {
  const client = useClient();
  const toast = useToast();
  const { navigate } = useRoute();
  const { theme } = useTheme();
  const { session, signOut } = useSession();

  const fail = (title: string) => (error: unknown) => {
    const e = toConsoleError(error);
    toast({ tone: 'danger', title: `${title}: ${e.message}`, ...(e.hint ? { body: e.hint } : {}) });
  };

  // Procedures without input run directly; the few whose result the operator must see say so here.
  const runDirectly = async (id: ProcedureId, title: string): Promise<ToastMessage | null> => {
    if (id === 'session.signOut') {
      await signOut();
      return null;
    }
    if (id === 'system.selfCheck') {
      const result = await client.call('system.selfCheck', {});
      const failed = result.checks.filter((c) => !c.passed);
      return result.passed
        ? { tone: 'ok', title: `Self-check passed: ${result.checks.length} checks` }
        : {
            tone: 'danger',
            title: 'Self-check failed',
            body: failed.map((c) => `${c.check}: ${c.detail}`).join('; '),
          };
    }
    await client.call(id, {} as never);
    return { tone: 'ok', title: `${title}: done` };
  };

  const procedureCommand = (p: AnyProcedure): ConsoleCommand | null => {
    const action = p.action;
    if (!action) return null;
    const page = PAGE_IDS.find((id) => id === action.page);
    let run: () => void;
    if (page) run = () => navigate(page, p.id);
    else if (takesNoInput(p)) {
      run = () =>
        void runDirectly(p.id as ProcedureId, action.title).then((t) => t && toast(t), fail(action.title));
    } else return null;
    return {
      id: p.id,
      title: action.title,
      group: 'Actions',
      icon: ACTION_ICONS[p.id.split('.')[0] ?? ''] ?? 'play',
      ...(action.keybinding ? { keys: [action.keybinding] } : {}),
      keywords: [p.id, p.summary],
      inPalette: Boolean(action.palette),
      run,
    };
  };

  return [
    ...PAGES.map((page): ConsoleCommand => ({
      id: `go.${page.id}`,
      title: `Go to ${page.title}`,
      group: 'Go to',
      icon: page.icon,
      keys: ['G', page.key],
      inPalette: true,
      run: () => navigate(page.id),
    })),
    ...procedureActions(session.operator.roles).flatMap((p) => procedureCommand(p) ?? []),
    {
      id: 'console.palette',
      title: 'Open the command palette',
      group: 'Console',
      icon: 'search',
      keys: ['Ctrl+K'],
      inPalette: false,
      run: ui.togglePalette,
    },
    {
      id: 'console.help',
      title: 'Show keyboard shortcuts',
      group: 'Console',
      icon: 'keyboard',
      keys: ['?'],
      keywords: ['help', 'keys'],
      inPalette: true,
      run: ui.openHelp,
    },
    {
      id: 'console.theme',
      title: theme === 'dark' ? 'Switch to the light theme' : 'Switch to the dark theme',
      group: 'Console',
      icon: theme === 'dark' ? 'sun' : 'moon',
      keywords: ['theme', 'appearance', 'dark', 'light'],
      inPalette: true,
      run: toggleTheme,
    },
  ];
}

/**
 * Runs commands from their key bindings. Multi-key sequences ("G then H") wait up
 * to 1.5 s for the next key. Plain keys are ignored while typing in a field, and
 * only the palette binding works while a dialog is open.
 */
export function useGlobalKeyBindings(commands: readonly ConsoleCommand[]): void {
  const latest = useRef(commands);
  useEffect(() => {
    latest.current = commands;
  });

  useEffect(() => {
    let candidates: ConsoleCommand[] | null = null;
    let step = 0;
    let timer: ReturnType<typeof setTimeout> | undefined;
    const reset = () => {
      candidates = null;
      step = 0;
      clearTimeout(timer);
    };

    const onKeyDown = (event: KeyboardEvent) => {
      if (
        event.defaultPrevented ||
        event.isComposing ||
        ['Shift', 'Control', 'Alt', 'Meta'].includes(event.key)
      )
        return;
      const typing = isTypingTarget(event.target);
      const dialogOpen = document.querySelector('dialog[open]') !== null;
      const usable = (c: ConsoleCommand) => {
        const chord = c.keys?.[step];
        if (!chord) return false;
        if (dialogOpen && c.id !== 'console.palette') return false;
        if (typing && !hasCommandModifier(chord)) return false;
        return matchesChord(event, chord);
      };
      const pool = candidates ?? latest.current.filter((c) => c.keys);
      const matched = pool.filter(usable);
      const complete = matched.find((c) => c.keys?.length === step + 1);
      if (complete) {
        event.preventDefault();
        reset();
        complete.run();
      } else if (matched.length > 0) {
        event.preventDefault();
        candidates = matched;
        step += 1;
        clearTimeout(timer);
        timer = setTimeout(reset, 1500);
      } else if (step > 0) {
        // A key that breaks a sequence may start a binding of its own ("G" then "?").
        reset();
        onKeyDown(event);
      }
    };
    window.addEventListener('keydown', onKeyDown);
    return () => {
      window.removeEventListener('keydown', onKeyDown);
      clearTimeout(timer);
    };
  }, []);
}
