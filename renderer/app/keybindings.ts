/**
 * Key bindings are written as in the procedure declarations: a chord is "Ctrl+Shift+Q"
 * (Ctrl means Cmd on macOS), and a binding is a sequence of chords, e.g. ["G", "H"].
 */
export type Binding = readonly string[];

const isMac = /Mac|iPhone|iPad/.test(navigator.userAgent);

const MAC_SYMBOLS: Record<string, string> = { Ctrl: '⌘', Shift: '⇧', Alt: '⌥' };

/** The labels to show for one chord on this platform. */
export function chordLabels(chord: string): string[] {
  return chord.split('+').map((part) => (isMac ? (MAC_SYMBOLS[part] ?? part) : part));
}

export function bindingLabels(binding: Binding): string[][] {
  return binding.map(chordLabels);
}

/** True for chords that need Ctrl or Alt; those work even while typing in a field. */
export function hasCommandModifier(chord: string): boolean {
  return /(^|\+)(Ctrl|Alt)\+/.test(chord);
}

export function matchesChord(event: KeyboardEvent, chord: string): boolean {
  const parts = chord.split('+');
  const key = parts.at(-1)?.toLowerCase();
  const wants = new Set(parts.slice(0, -1));
  // Both Ctrl and Cmd are accepted for "Ctrl", so Ctrl+K and Cmd+K both open the palette.
  if (wants.has('Ctrl') !== (event.ctrlKey || event.metaKey)) return false;
  if (wants.has('Alt') !== event.altKey) return false;
  // Symbols such as "?" need Shift on most layouts, so Shift is only compared for letters and digits.
  if (key && /^[a-z0-9]$/.test(key) && wants.has('Shift') !== event.shiftKey) return false;
  return event.key.toLowerCase() === key;
}

export function isTypingTarget(target: EventTarget | null): boolean {
  if (!(target instanceof HTMLElement)) return false;
  return target.isContentEditable || ['INPUT', 'TEXTAREA', 'SELECT'].includes(target.tagName);
}
