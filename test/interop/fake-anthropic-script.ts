import { mkdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import {
  type Block,
  type Decide,
  type FakeAnthropic,
  startFakeAnthropic,
} from '../fixtures/agents/fake-anthropic.ts';
import { type Loose, type ModelCall, type Script, plainScript } from './fake-model.ts';

// The Anthropic Messages fake (test/fixtures/agents/fake-anthropic.ts) driven by the interop suite's
// scripts (fake-model.ts), like the other fakes: the request is read into a ModelCall and the Reply
// turned into content blocks. Tool results are `tool_result` blocks in the last user message.

export interface FakeClaudeModel extends FakeAnthropic {
  script: Script;
  calls: ModelCall[];
}

function textOfResult(content: Loose): string {
  if (typeof content === 'string') return content;
  if (!Array.isArray(content)) return JSON.stringify(content ?? null);
  return content.map((c: Loose) => (typeof c?.text === 'string' ? c.text : '')).join('');
}

function understand(req: Loose): ModelCall {
  const last = (Array.isArray(req?.messages) ? req.messages : [])
    .filter((m: Loose) => m?.role === 'user')
    .at(-1);
  const blocks: Loose[] =
    typeof last?.content === 'string' ? [{ type: 'text', text: last.content }] : (last?.content ?? []);
  // The adapter adds reminders (<system-reminder>) as text blocks of their own, and after a reload
  // it puts a new prompt in the same message as the last tool results: what follows the last tool
  // result is the new prompt, if anything.
  const lastResult = blocks.findLastIndex((b) => b?.type === 'tool_result');
  const texts = blocks
    .slice(lastResult + 1)
    .filter((b) => b?.type === 'text' && !String(b.text).startsWith('<system-reminder>'));
  const prompt = texts.at(-1)?.text?.trim() ?? '';
  return {
    prompt,
    toolResults: prompt
      ? []
      : blocks.filter((b) => b?.type === 'tool_result').map((b) => textOfResult(b.content)),
    tools: (Array.isArray(req?.tools) ? req.tools : []).map((t: Loose) => String(t?.name)),
    body: req,
  };
}

export async function startFakeClaudeModel(
  cwd: string,
  script: Script = plainScript,
): Promise<FakeClaudeModel> {
  const calls: ModelCall[] = [];
  let n = 0;
  let self: FakeClaudeModel | null = null;
  const decide: Decide = (req) => {
    const call = understand(req);
    calls.push(call);
    const reply = (self as unknown as FakeClaudeModel).script(call);
    const blocks: Block[] = [];
    if (reply.text) blocks.push({ type: 'text', text: reply.text });
    if (reply.tool)
      blocks.push({
        type: 'tool_use',
        id: `toolu_fake_${++n}`,
        name: reply.tool.name,
        input: reply.tool.args,
      });
    return { blocks, stop: reply.tool ? 'tool_use' : 'end_turn' };
  };
  const fake = await startFakeAnthropic(cwd, decide);
  self = Object.assign(fake, { calls, script });
  return self;
}

/**
 * Claude Code's environment against the fake model at `modelUrl`, offline, with its own config folder
 * under `home` in which it asks for permissions (without the settings file the adapter starts in "auto"
 * mode, where Claude decides permissions itself).
 */
export async function claudeOfflineEnv(modelUrl: string, home: string): Promise<Record<string, string>> {
  const configDir = join(home, '.claude');
  await mkdir(configDir, { recursive: true });
  await writeFile(
    join(configDir, 'settings.json'),
    JSON.stringify({ permissions: { defaultMode: 'default' } }),
  );
  return {
    ANTHROPIC_API_KEY: 'sk-test-fake',
    ANTHROPIC_BASE_URL: modelUrl,
    CLAUDE_CONFIG_DIR: configDir,
    // The adapter refuses to start a session as root unless told it is sandboxed.
    IS_SANDBOX: '1',
    DISABLE_TELEMETRY: '1',
    DISABLE_AUTOUPDATER: '1',
    DISABLE_ERROR_REPORTING: '1',
    CLAUDE_CODE_DISABLE_NONESSENTIAL_TRAFFIC: '1',
  };
}
