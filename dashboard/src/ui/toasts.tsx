import type { ComponentChildren } from "preact";
import { createContext } from "preact";
import { useCallback, useContext, useMemo, useRef, useState } from "preact/hooks";

type ToastKind = "error" | "info";
interface Toast {
  id: number;
  kind: ToastKind;
  text: string;
}

type ShowToast = (text: string, kind?: ToastKind) => void;
const ToastContext = createContext<ShowToast>(() => {});

/** Shows a message for a few seconds (API errors: the 409/404 message of the server). */
export function useToast(): ShowToast {
  return useContext(ToastContext);
}

const TOAST_MS = 6000;

export function ToastProvider({ children }: { children: ComponentChildren }) {
  const [toasts, setToasts] = useState<Toast[]>([]);
  const nextId = useRef(1);
  const dismiss = useCallback((id: number) => setToasts((current) => current.filter((toast) => toast.id !== id)), []);
  const show = useCallback<ShowToast>(
    (text, kind = "error") => {
      const id = nextId.current++;
      setToasts((current) => [...current.slice(-3), { id, kind, text }]);
      setTimeout(() => dismiss(id), TOAST_MS);
    },
    [dismiss],
  );
  const value = useMemo(() => show, [show]);
  return (
    <ToastContext.Provider value={value}>
      {children}
      <div class="toasts" aria-live="assertive">
        {toasts.map((toast) => (
          <div key={toast.id} class={`toast toast-${toast.kind}`} role={toast.kind === "error" ? "alert" : "status"} data-testid="toast">
            <span>{toast.text}</span>
            <button type="button" class="toast-close" aria-label="Dismiss" onClick={() => dismiss(toast.id)}>
              ×
            </button>
          </div>
        ))}
      </div>
    </ToastContext.Provider>
  );
}
