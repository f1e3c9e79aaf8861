import { Command } from 'cmdk';
import { Dialog } from '../ui/Dialog';
import { Icon } from '../ui/Icon';
import { Keys } from '../ui/Keys';
import { useCommands, type CommandGroup } from './commands';
import { bindingLabels } from './keybindings';

// Navigation first: Enter on an untouched palette should move, not act (the first action is Sign out).
const GROUP_ORDER: CommandGroup[] = ['Go to', 'Actions', 'Console'];

/**
 * cmdk's list inside our native <dialog>, not Command.Dialog: that one is built on
 * Radix Dialog, which injects <style> tags the CSP blocks.
 */
export function CommandPalette({ open, onClose }: { open: boolean; onClose: () => void }) {
  const commands = useCommands().filter((c) => c.inPalette);
  return (
    <Dialog open={open} onClose={onClose} title="Command palette" hideTitle className="palette">
      {/* vimBindings off: Ctrl+K must close the palette, not move the selection. */}
      <Command label="Commands" loop vimBindings={false}>
        <div className="palette-search">
          <Icon name="search" />
          <Command.Input placeholder="Type a command or a page…" data-autofocus />
        </div>
        <Command.List className="palette-list">
          <Command.Empty className="palette-empty">No command matches.</Command.Empty>
          {GROUP_ORDER.map((group) => {
            const inGroup = commands.filter((c) => c.group === group);
            if (inGroup.length === 0) return null;
            return (
              <Command.Group key={group} heading={group}>
                {inGroup.map((c) => (
                  <Command.Item
                    key={c.id}
                    value={c.title}
                    keywords={c.keywords ?? []}
                    onSelect={() => {
                      onClose();
                      c.run();
                    }}
                  >
                    <Icon name={c.icon} />
                    <span className="palette-title">{c.title}</span>
                    {c.keys && <Keys chords={bindingLabels(c.keys)} />}
                  </Command.Item>
                ))}
              </Command.Group>
            );
          })}
        </Command.List>
      </Command>
    </Dialog>
  );
}
