// A shallow-props memo without pulling in preact/compat (keeps the bundle small).

import { Component, type ComponentChildren, type FunctionComponent, h } from 'preact';

function shallowEqual(a: Record<string, unknown>, b: Record<string, unknown>): boolean {
  for (const k in a) if (!Object.is(a[k], b[k])) return false;
  for (const k in b) if (!(k in a)) return false;
  return true;
}

export function memo<P extends object>(fn: FunctionComponent<P>): FunctionComponent<P> {
  class Memo extends Component<P> {
    override shouldComponentUpdate(next: P): boolean {
      return !shallowEqual(this.props as Record<string, unknown>, next as Record<string, unknown>);
    }
    override render(props: P): ComponentChildren {
      return h(fn, props);
    }
  }
  return Memo as unknown as FunctionComponent<P>;
}
