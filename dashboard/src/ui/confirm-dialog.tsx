import { useEffect, useRef } from "preact/hooks";

export interface ConfirmRequest {
  title: string;
  body: string;
  confirmLabel: string;
  onConfirm(): void;
}

/** A modal yes/no question (native <dialog>: focus trap, Escape cancels). */
export function ConfirmDialog({ request, onClose }: { request: ConfirmRequest | null; onClose(): void }) {
  const dialog = useRef<HTMLDialogElement>(null);
  useEffect(() => {
    const element = dialog.current;
    if (!element) return;
    if (request && !element.open) element.showModal();
    if (!request && element.open) element.close();
  }, [request]);
  return (
    <dialog ref={dialog} class="confirm-dialog" aria-labelledby="confirm-title" onClose={onClose} data-testid="confirm-dialog">
      {request && (
        <form
          method="dialog"
          onSubmit={(event) => {
            event.preventDefault();
            const action = request.onConfirm;
            onClose();
            action();
          }}
        >
          <h2 id="confirm-title">{request.title}</h2>
          <p>{request.body}</p>
          <div class="dialog-actions">
            <button type="button" onClick={onClose} data-testid="cancel">
              Cancel
            </button>
            <button type="submit" class="primary" data-testid="confirm">
              {request.confirmLabel}
            </button>
          </div>
        </form>
      )}
    </dialog>
  );
}
