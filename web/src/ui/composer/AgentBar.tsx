import { useState } from 'preact/hooks';
import { type ConfigControl, configControls, configLabel } from '../../state/agent';
import { useApp, useClient } from '../../lib/use-app';
import './agent-bar.css';

/**
 * Under the message box: the agent's mode and its configuration options (model, effort, …), each
 * a select or a toggle (POST …/mode, …/config: docs/CONTRACT.md). Shown once the agent said what it
 * offers; the client opens its session on opening a conversation, so that is before the first
 * message. Every tab follows the conversation's events, so a choice made anywhere shows everywhere.
 */
export function AgentBar() {
  const client = useClient();
  const agent = useApp((s) => s.view?.agent ?? null);
  const [pending, setPending] = useState<string | null>(null);
  if (!agent) return null;
  const modes = agent.modes ?? [];
  // Options of the "mode" category repeat the picker.
  const shown = agent.config.filter((o) => !(modes.length && o.category === 'mode'));
  const controls = configControls(shown);
  const settable = new Set(controls.map((c) => c.id));
  // Shapes the bar cannot set (neither select nor boolean) stay words.
  const labels = shown
    .filter((o) => !settable.has(o.id))
    .map((o) => ({ id: o.id, label: configLabel(o), description: o.description }))
    .filter((o) => o.label);
  if (!modes.length && !controls.length && !labels.length) return null;
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
      {controls.map((c) => (
        <ConfigPicker key={c.id} control={c} />
      ))}
      {labels.map((o) => (
        <span key={o.id} class="config-opt muted" title={o.description ?? undefined}>
          {o.label}
        </span>
      ))}
    </div>
  );
}

/** One config option: a select of its choices, or a switch for a boolean. */
function ConfigPicker({ control: c }: { control: ConfigControl }) {
  const client = useClient();
  const [pending, setPending] = useState<string | null>(null);
  const set = async (value: string) => {
    if (value === c.value) return;
    setPending(value);
    await client.setConfig(c.id, c.kind === 'boolean' ? value === 'true' : value);
    setPending(null);
  };
  const value = pending ?? c.value;
  if (c.kind === 'boolean')
    return (
      <label class="mode-pick config-toggle" title={c.description ?? undefined}>
        <input
          type="checkbox"
          role="switch"
          aria-checked={value === 'true'}
          name={`config-${c.id}`}
          data-config-id={c.id}
          checked={value === 'true'}
          disabled={pending !== null}
          onChange={(e) => void set(String((e.target as HTMLInputElement).checked))}
        />
        <span>{c.name}</span>
      </label>
    );
  const chosen = c.choices.find((x) => x.value === value);
  return (
    <label class="mode-pick" title={chosen?.description ?? c.description ?? undefined}>
      <span>{c.name}</span>
      <select
        name={`config-${c.id}`}
        data-config-id={c.id}
        data-value={c.value}
        value={value}
        disabled={pending !== null}
        onChange={(e) => void set((e.target as HTMLSelectElement).value)}
      >
        {c.choices.map((x) => (
          <option key={x.value} value={x.value} title={x.description ?? undefined}>
            {x.name}
          </option>
        ))}
      </select>
    </label>
  );
}
