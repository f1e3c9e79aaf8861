import { Dialog } from '../ui/Dialog';
import { Keys } from '../ui/Keys';
import { useCommands, type CommandGroup } from './commands';
import { bindingLabels } from './keybindings';

/** Keys handled by the browser and by each widget rather than by a command. */
const WIDGET_KEYS: { keys: string[][]; title: string }[] = [
  { keys: [['Tab']], title: 'Move to the next control (Shift+Tab: previous)' },
  { keys: [['↑'], ['↓']], title: 'Move in the navigation, the palette and lists' },
  { keys: [['Home'], ['End']], title: 'First or last item of a list' },
  { keys: [['Enter']], title: 'Open the focused page or run the highlighted command' },
  { keys: [['Esc']], title: 'Close the dialog' },
];

const GROUP_ORDER: CommandGroup[] = ['Console', 'Go to', 'Actions'];

/** Every binding the operator has, derived from the same commands the handler runs. */
export function KeyboardShortcuts() {
  const commands = useCommands().filter((c) => c.keys);
  return (
    <div className="shortcuts">
      {GROUP_ORDER.map((group) => {
        const inGroup = commands.filter((c) => c.group === group);
        if (inGroup.length === 0) return null;
        return (
          <table key={group} className="shortcut-table" aria-label={`${group} shortcuts`}>
            <caption>{group}</caption>
            <tbody>
              {inGroup.map((c) => (
                <tr key={c.id}>
                  <td>
                    <Keys chords={bindingLabels(c.keys ?? [])} />
                  </td>
                  <td>{c.title}</td>
                </tr>
              ))}
            </tbody>
          </table>
        );
      })}
      <table className="shortcut-table" aria-label="Navigation shortcuts">
        <caption>In lists and dialogs</caption>
        <tbody>
          {WIDGET_KEYS.map((w) => (
            <tr key={w.title}>
              <td>
                <span className="keys">
                  {w.keys.map((chord) => (
                    <Keys key={chord.join()} chords={[chord]} />
                  ))}
                </span>
              </td>
              <td>{w.title}</td>
            </tr>
          ))}
        </tbody>
      </table>
    </div>
  );
}

export function KeyboardHelp({ open, onClose }: { open: boolean; onClose: () => void }) {
  return (
    <Dialog open={open} onClose={onClose} title="Keyboard shortcuts" className="dialog-wide">
      <KeyboardShortcuts />
    </Dialog>
  );
}
