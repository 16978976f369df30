import type { ServerResponse } from 'node:http';
import type { Loose, ModelCall, Reply, Script, ScriptedFake } from './fake-model.ts';
import { json, lastText, pieces, plainScript, sse, sseStart, startScriptedFake } from './fake-model.ts';

// The OpenAI Responses API (`POST /v1/responses`, streamed) on loopback, for Codex with a model
// provider whose base_url points here. Each tool call gets a fresh call id; its result comes back as
// a `function_call_output` (or `custom_tool_call_output`) item in the next request's input.

export const RESPONSES_USAGE = {
  input_tokens: 13,
  input_tokens_details: { cached_tokens: 0 },
  output_tokens: 6,
  output_tokens_details: { reasoning_tokens: 0 },
  total_tokens: 19,
};

function understand(body: Loose): ModelCall {
  const input: Loose[] = Array.isArray(body?.input) ? body.input : [];
  const lastUser = input.findLastIndex((i) => i?.role === 'user' && (i.type ?? 'message') === 'message');
  const after = input.slice(lastUser + 1);
  return {
    prompt: lastUser >= 0 ? lastText(input[lastUser].content) : '',
    toolResults: after
      .filter((i) => i?.type === 'function_call_output' || i?.type === 'custom_tool_call_output')
      .map((i) => (typeof i.output === 'string' ? i.output : JSON.stringify(i.output))),
    tools: (Array.isArray(body?.tools) ? body.tools : []).map((t: Loose) => String(t?.name ?? t?.type)),
    body,
  };
}

export function startFakeResponses(script: Script = plainScript): Promise<ScriptedFake> {
  let n = 0;
  return startScriptedFake(script, (req, res, think) => {
    // Anything else (its WebSocket attempts: GET /v1/responses) gets a plain answer it gives up on.
    if (req.method !== 'POST' || !req.path.startsWith('/v1/responses')) return json(res, {});
    stream(res, think(understand(req.body)), ++n);
  });
}

function stream(res: ServerResponse, reply: Reply, n: number): void {
  const id = `resp_fake_${n}`;
  const output: Loose[] = [];
  sseStart(res);
  const send = (type: string, data: Loose) => sse(res, { type, ...data }, type);
  send('response.created', { response: { id, status: 'in_progress', output: [] } });
  if (reply.text) {
    const item = {
      type: 'message',
      id: `msg_fake_${n}`,
      role: 'assistant',
      status: 'in_progress',
      content: [],
    };
    send('response.output_item.added', { output_index: output.length, item });
    for (const delta of pieces(reply.text)) {
      send('response.output_text.delta', {
        item_id: item.id,
        output_index: output.length,
        content_index: 0,
        delta,
      });
    }
    const done = {
      ...item,
      status: 'completed',
      content: [{ type: 'output_text', text: reply.text, annotations: [] }],
    };
    send('response.output_item.done', { output_index: output.length, item: done });
    output.push(done);
  }
  if (reply.tool) {
    const item = {
      type: 'function_call',
      id: `fc_fake_${n}`,
      call_id: `call_fake_${n}`,
      name: reply.tool.name,
      arguments: JSON.stringify(reply.tool.args),
      status: 'completed',
    };
    send('response.output_item.added', { output_index: output.length, item });
    send('response.output_item.done', { output_index: output.length, item });
    output.push(item);
  }
  send('response.completed', { response: { id, status: 'completed', output, usage: RESPONSES_USAGE } });
  res.end();
}
