/** The one button at the foot of a dialog that only informs or is left without choosing. */
export function CloseActions({ label = 'Close', onClose }: { label?: string; onClose: () => void }) {
  return (
    <div class="actions">
      <button type="button" class="btn" onClick={onClose}>
        {label}
      </button>
    </div>
  );
}
