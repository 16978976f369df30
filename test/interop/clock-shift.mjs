// Preloaded into a Node agent (NODE_OPTIONS="--import <this file>") to move its wall clock forward by
// INTEROP_CLOCK_SHIFT_MS (back, when negative), so a restart falls in the same minute or a later one
// for the agent, as a test wants, without waiting (Gemini CLI names its session files by the minute:
// docs/agents.md). Only Date moves; timers and the event loop are untouched. Children inherit
// NODE_OPTIONS and so the same clock.
const shift = Number(process.env.INTEROP_CLOCK_SHIFT_MS || 0);
if (shift) {
  const RealDate = Date;
  const now = () => RealDate.now() + shift;
  globalThis.Date = new Proxy(RealDate, {
    construct(target, args, newTarget) {
      return args.length
        ? Reflect.construct(target, args, newTarget)
        : Reflect.construct(target, [now()], newTarget);
    },
    apply() {
      return new RealDate(now()).toString();
    },
    get(target, prop, receiver) {
      if (prop === 'now') return now;
      return Reflect.get(target, prop, receiver);
    },
  });
}
