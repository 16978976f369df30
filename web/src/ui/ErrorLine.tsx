/** A dialog's or form's error sentence, announced when it appears; nothing when there is none. */
export function ErrorLine({ error }: { error: string | null | undefined }) {
  return error ? (
    <p class="turn-error" role="alert">
      {error}
    </p>
  ) : null;
}
