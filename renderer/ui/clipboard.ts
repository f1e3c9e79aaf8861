/**
 * Copies text for the operator. The asynchronous Clipboard API is tried first; where the window
 * refuses it (Electron's session denies every permission, clipboard writes included), the text is
 * copied the way the Edit menu does it, through a selected, off-screen text area.
 * Resolves to false only when neither worked, so the caller can say "select and press Ctrl+C".
 */
export async function copyText(text: string): Promise<boolean> {
  try {
    await navigator.clipboard.writeText(text);
    return true;
  } catch {
    return copyThroughSelection(text);
  }
}

function copyThroughSelection(text: string): boolean {
  const previous = document.activeElement instanceof HTMLElement ? document.activeElement : null;
  // Inside a modal dialog everything else is inert, so the text area must live in the dialog.
  const host = previous?.closest('dialog[open]') ?? document.body;
  const area = document.createElement('textarea');
  area.value = text;
  area.readOnly = true;
  area.className = 'visually-hidden';
  area.setAttribute('aria-hidden', 'true');
  host.append(area);
  try {
    area.select();
    // Deprecated, but still the only clipboard path that needs no permission.
    return document.execCommand('copy');
  } catch {
    return false;
  } finally {
    area.remove();
    previous?.focus();
  }
}
