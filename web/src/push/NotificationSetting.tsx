// The notification choice for this device, at the foot of the conversation list: all (permission
// requests and long turns ending), only when I'm needed (permission requests), or off. What the
// browser cannot do is said in words instead of a control that fails.

import { useEffect, useState } from 'preact/hooks';
import { errText } from '../lib/errors';
import { useClient } from '../lib/use-app';
import { type Choice, choose, pushSupport, readChoice, type Support } from './push-client';
import './notification-setting.css';

const WHY_NOT: Record<Exclude<Support, 'ok'>, string> = {
  insecure: 'Notifications need the app on HTTPS (or on this computer’s localhost).',
  unsupported: /iPhone|iPad/.test(navigator.userAgent)
    ? 'On iPhone and iPad: Share → Add to Home Screen, then open gmgui from there to get notifications.'
    : 'This browser cannot show notifications from gmgui.',
  denied: 'Notifications are blocked for this site: allow them in the browser’s site settings.',
};

export function NotificationSetting() {
  const client = useClient();
  const [support, setSupport] = useState<Support>(pushSupport);
  const [choice, setChoice] = useState<Choice | null>(support === 'ok' ? null : 'off');
  const [busy, setBusy] = useState(false);
  const [problem, setProblem] = useState('');

  useEffect(() => {
    if (support !== 'ok') return;
    let live = true;
    readChoice(client.api)
      .then((c) => live && setChoice(c))
      .catch(() => live && setChoice('off'));
    return () => {
      live = false;
    };
  }, [client, support]);

  const change = async (next: Choice) => {
    setBusy(true);
    setProblem('');
    try {
      setChoice(await choose(client.api, next));
    } catch (e) {
      setProblem(`Could not change notifications: ${errText(e)}`);
      setSupport(pushSupport());
    } finally {
      setBusy(false);
    }
  };

  const usable = support === 'ok' && choice !== null;
  return (
    <div class="notify-setting">
      <label class="notify-row">
        <span>Notify me</span>
        <select
          value={choice ?? 'off'}
          disabled={!usable || busy}
          aria-describedby={support !== 'ok' || problem ? 'notify-hint' : undefined}
          onChange={(e) => void change((e.target as HTMLSelectElement).value as Choice)}
        >
          <option value="all">Always</option>
          <option value="needed">Only when I’m needed</option>
          <option value="off">Off</option>
        </select>
      </label>
      {support !== 'ok' || problem ? (
        <p id="notify-hint" class="notify-hint" role={problem ? 'alert' : undefined}>
          {problem || WHY_NOT[support as Exclude<Support, 'ok'>]}
        </p>
      ) : null}
    </div>
  );
}
