import { useEffect, useId, useRef, type ReactNode } from 'react';
import { Icon } from './Icon';

/**
 * A native modal <dialog>: the browser provides the focus trap, Escape, inert
 * background and focus return, and nothing injects <style> tags (the CSP forbids them).
 * Mark the control that should take focus on opening with `data-autofocus`.
 */
export function Dialog({
  open,
  onClose,
  title,
  hideTitle = false,
  className = '',
  children,
}: {
  open: boolean;
  onClose: () => void;
  title: string;
  /** For dialogs whose content names itself (the command palette); the title stays for screen readers. */
  hideTitle?: boolean;
  className?: string;
  children: ReactNode;
}) {
  const ref = useRef<HTMLDialogElement>(null);
  const titleId = useId();

  useEffect(() => {
    const dialog = ref.current;
    if (!dialog) return;
    if (open && !dialog.open) {
      dialog.showModal();
      // React's autoFocus runs before the dialog is shown, so it cannot focus; this can.
      dialog.querySelector<HTMLElement>('[data-autofocus]')?.focus();
    }
    if (!open && dialog.open) dialog.close();
  }, [open]);

  return (
    <dialog
      ref={ref}
      className={`dialog ${className}`}
      aria-labelledby={titleId}
      onClose={onClose}
      // A click on the backdrop lands on the <dialog> itself; clicks inside land on its content.
      onClick={(event) => event.target === event.currentTarget && onClose()}
    >
      {open && (
        <div className="dialog-content">
          <header className={hideTitle ? 'visually-hidden' : 'dialog-header'}>
            <h2 id={titleId}>{title}</h2>
            {!hideTitle && (
              <button type="button" className="button-icon" onClick={onClose} aria-label="Close">
                <Icon name="close" />
              </button>
            )}
          </header>
          {children}
        </div>
      )}
    </dialog>
  );
}
