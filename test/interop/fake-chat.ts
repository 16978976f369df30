import type { ServerResponse } from 'node:http';
import type { Loose, ModelCall, Reply, ScriptedFake, Script } from './fake-model.ts';
import { json, lastText, pieces, plainScript, sse, sseStart, startScriptedFake } from './fake-model.ts';

// An OpenAI-compatible chat completions endpoint (`POST /v1/chat/completions`, streamed) on loopback,
// for OpenCode with a custom provider whose baseURL points here. A tool result comes back as a
// `role: "tool"` message after the last user message.

export const CHAT_USAGE = { prompt_tokens: 17, completion_tokens: 5, total_tokens: 22 };

function understand(body: Loose): ModelCall {
  const messages: Loose[] = Array.isArray(body?.messages) ? body.messages : [];
  const lastUser = messages.findLastIndex((m) => m?.role === 'user');
  return {
    prompt: lastUser >= 0 ? lastText(messages[lastUser].content) : '',
    toolResults: messages
      .slice(lastUser + 1)
      .filter((m) => m?.role === 'tool')
      .map((m) => (typeof m.content === 'string' ? m.content : JSON.stringify(m.content))),
    tools: (Array.isArray(body?.tools) ? body.tools : []).map((t: Loose) =>
      String(t?.function?.name ?? t?.name),
    ),
    body,
  };
}

export function startFakeChat(script: Script = plainScript): Promise<ScriptedFake> {
  let n = 0;
  return startScriptedFake(script, (req, res, think) => {
    if (req.method !== 'POST' || !req.path.startsWith('/v1/chat/completions')) return json(res, {});
    const reply = think(understand(req.body));
    if ((req.body as Loose)?.stream) stream(res, reply, ++n);
    else whole(res, reply, ++n);
  });
}

function toolCall(reply: Reply, n: number): Loose {
  if (!reply.tool) return null;
  return {
    id: `call_fake_${n}`,
    type: 'function',
    function: { name: reply.tool.name, arguments: JSON.stringify(reply.tool.args) },
  };
}

function whole(res: ServerResponse, reply: Reply, n: number): void {
  const call = toolCall(reply, n);
  json(res, {
    id: `chatcmpl-fake-${n}`,
    object: 'chat.completion',
    created: 0,
    model: 'fake-model',
    choices: [
      {
        index: 0,
        message: { role: 'assistant', content: reply.text ?? null, ...(call ? { tool_calls: [call] } : {}) },
        finish_reason: call ? 'tool_calls' : 'stop',
      },
    ],
    usage: CHAT_USAGE,
  });
}

function stream(res: ServerResponse, reply: Reply, n: number): void {
  const base = { id: `chatcmpl-fake-${n}`, object: 'chat.completion.chunk', created: 0, model: 'fake-model' };
  const chunk = (delta: Loose, finish: string | null = null) =>
    sse(res, { ...base, choices: [{ index: 0, delta, finish_reason: finish }] });
  sseStart(res);
  chunk({ role: 'assistant', content: '' });
  for (const p of pieces(reply.text ?? '')) chunk({ content: p });
  const call = toolCall(reply, n);
  if (call) chunk({ tool_calls: [{ index: 0, ...call }] });
  chunk({}, call ? 'tool_calls' : 'stop');
  sse(res, { ...base, choices: [], usage: CHAT_USAGE });
  sse(res, '[DONE]');
  res.end();
}
