import type { ComponentChildren } from 'preact';

/**
 * A list under the message box (agent commands, `@` files). Focus stays in the textarea
 * (aria-activedescendant), so options are out of Tab order, and one is taken on mousedown, not click:
 * a click would move the focus out of the textarea first.
 */
export function SuggestList<T>({
  id,
  label,
  class: cls = '',
  items,
  active,
  keyOf,
  data,
  onTake,
  render,
}: {
  /** The list's id; option i is `${id}-${i}` (what the textarea's aria-activedescendant names). */
  id: string;
  label: string;
  class?: string;
  items: readonly T[];
  active: number;
  keyOf: (item: T) => string;
  /** data-* attributes naming what an option is (tests and styles read them). */
  data: (item: T) => Record<`data-${string}`, string>;
  onTake: (item: T) => void;
  render: (item: T) => ComponentChildren;
}) {
  return (
    <div class={`cmd-suggest ${cls}`} id={id} role="listbox" aria-label={label}>
      {items.map((item, i) => (
        <div
          key={keyOf(item)}
          id={`${id}-${i}`}
          role="option"
          tabIndex={-1}
          aria-selected={i === active}
          class={i === active ? 'active' : ''}
          {...data(item)}
          onMouseDown={(ev) => {
            ev.preventDefault();
            onTake(item);
          }}
        >
          {render(item)}
        </div>
      ))}
    </div>
  );
}
