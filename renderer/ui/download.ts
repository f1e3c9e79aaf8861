/**
 * True where the window may save files. The Electron shell refuses every download
 * (electron/main/window.ts, `will-download`), so there the operator is offered the
 * command line instead; the browser harness saves through the browser as usual.
 */
export function canSaveFiles(): boolean {
  return !('enclave' in window);
}

/**
 * Offers text as a file download through a Blob and an object URL, so nothing is
 * fetched and the CSP needs no exception. The type is octet-stream so the browser
 * keeps the name as given instead of adding ".txt".
 */
export function saveTextFile(name: string, text: string): void {
  const url = URL.createObjectURL(new Blob([text], { type: 'application/octet-stream' }));
  const link = document.createElement('a');
  link.href = url;
  link.download = name;
  link.hidden = true;
  const host =
    (document.activeElement instanceof HTMLElement && document.activeElement.closest('dialog[open]')) ||
    document.body;
  host.append(link);
  link.click();
  link.remove();
  // The download has started reading the blob by the next task; a minute is generous.
  setTimeout(() => URL.revokeObjectURL(url), 60_000);
}
