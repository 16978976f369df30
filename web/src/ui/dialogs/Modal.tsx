import type { ComponentChildren } from 'preact';
import { useEffect, useRef } from 'preact/hooks';
import './modal.css';

interface Props {
  labelledBy: string;
  onClose: () => void;
  children: ComponentChildren;
  class?: string;
}

/**
 * A modal on the native <dialog>: the browser traps focus, makes the rest inert, closes on Esc
 * and gives focus back to whatever opened it.
 */
export function Modal({ labelledBy, onClose, children, class: cls = '' }: Props) {
  const ref = useRef<HTMLDialogElement>(null);
  const closeRef = useRef(onClose);
  closeRef.current = onClose;
  useEffect(() => {
    const d = ref.current;
    if (!d) return;
    const opener = document.activeElement as HTMLElement | null;
    if (!d.open) d.showModal();
    const onCancel = (e: Event) => {
      e.preventDefault();
      closeRef.current();
    };
    // A click on the backdrop (the dialog element itself, outside its body) closes it.
    const onClick = (e: MouseEvent) => {
      if (e.target === d) closeRef.current();
    };
    d.addEventListener('cancel', onCancel);
    d.addEventListener('click', onClick);
    return () => {
      d.removeEventListener('cancel', onCancel);
      d.removeEventListener('click', onClick);
      if (d.open) d.close();
      opener?.focus?.();
    };
  }, []);
  return (
    <dialog ref={ref} class={`modal ${cls}`} aria-labelledby={labelledBy}>
      <div class="modal-body">{children}</div>
    </dialog>
  );
}
