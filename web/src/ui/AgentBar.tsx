import { useState } from 'preact/hooks';
import { configLabel } from '../state/agent';
import { useApp, useClient } from './context';

/**
 * Under the message box: the agent's mode, switchable, and its configuration, read-only. Shown only
 * once the agent said it has any (modes are unknown until it first ran). Every tab follows the
 * conversation's events, so a switch made anywhere shows everywhere.
 */
export function AgentBar() {
  const client = useClient();
  const agent = useApp((s) => s.view?.agent ?? null);
  const [pending, setPending] = useState<string | null>(null);
  if (!agent) return null;
  const modes = agent.modes ?? [];
  // Options of the "mode" category repeat the picker.
  const config = agent.config
    .filter((o) => !(modes.length && o.category === 'mode'))
    .map((o) => ({ id: o.id, label: configLabel(o), description: o.description }))
    .filter((o) => o.label);
  if (!modes.length && !config.length) return null;
  const current = modes.find((m) => m.id === agent.modeId);
  const choose = async (modeId: string) => {
    if (modeId === agent.modeId) return;
    setPending(modeId);
    await client.setMode(modeId);
    setPending(null);
  };
  return (
    <div class="agent-bar">
      {modes.length ? (
        <label class="mode-pick" title={current?.description ?? undefined}>
          <span>Mode</span>
          <select
            name="mode"
            data-mode={agent.modeId ?? ''}
            value={pending ?? agent.modeId ?? ''}
            disabled={pending !== null}
            onChange={(e) => void choose((e.target as HTMLSelectElement).value)}
          >
            {current ? null : <option value="">—</option>}
            {modes.map((m) => (
              <option key={m.id} value={m.id} title={m.description ?? undefined}>
                {m.name}
              </option>
            ))}
          </select>
        </label>
      ) : null}
      {config.map((o) => (
        <span key={o.id} class="config-opt muted" title={o.description ?? undefined}>
          {o.label}
        </span>
      ))}
    </div>
  );
}
