import { createContext, useCallback, useContext, useMemo, useRef, useState, type ReactNode } from 'react';
import { Icon } from './Icon';

export interface ToastMessage {
  tone: 'ok' | 'danger' | 'info';
  title: string;
  body?: string;
}

const ToastContext = createContext<(toast: ToastMessage) => void>(() => {});

export function useToast(): (toast: ToastMessage) => void {
  return useContext(ToastContext);
}

/** Short-lived notices in a polite live region; failures stay longer than successes. */
export function ToastProvider({ children }: { children: ReactNode }) {
  const [toasts, setToasts] = useState<(ToastMessage & { id: number })[]>([]);
  const nextId = useRef(1);
  const dismiss = useCallback((id: number) => setToasts((all) => all.filter((t) => t.id !== id)), []);
  const notify = useCallback(
    (toast: ToastMessage) => {
      const id = nextId.current++;
      setToasts((all) => [...all.slice(-3), { ...toast, id }]);
      setTimeout(() => dismiss(id), toast.tone === 'danger' ? 12_000 : 6_000);
    },
    [dismiss],
  );
  const value = useMemo(() => notify, [notify]);
  return (
    <ToastContext value={value}>
      {children}
      <section className="toasts" aria-label="Notifications" aria-live="polite">
        {toasts.map((toast) => (
          <div
            key={toast.id}
            className={`toast toast-${toast.tone}`}
            role={toast.tone === 'danger' ? 'alert' : 'status'}
          >
            <Icon name={toast.tone === 'ok' ? 'check' : toast.tone === 'danger' ? 'alert' : 'info'} />
            <div className="toast-body">
              <p className="toast-title sentence">{toast.title}</p>
              {toast.body && <p className="sentence">{toast.body}</p>}
            </div>
            <button
              type="button"
              className="button-icon"
              onClick={() => dismiss(toast.id)}
              aria-label="Dismiss"
            >
              <Icon name="close" size={14} />
            </button>
          </div>
        ))}
      </section>
    </ToastContext>
  );
}
