import type { ServerResponse } from 'node:http';
import type { Loose, ModelCall, Script, ScriptedFake } from './fake-model.ts';
import { json, pieces, plainScript, sse, sseStart, startScriptedFake } from './fake-model.ts';

// The Gemini API (generativelanguage v1beta) on loopback, for Gemini CLI run with GEMINI_API_KEY and
// GOOGLE_GEMINI_BASE_URL: `models/{m}:streamGenerateContent?alt=sse` (the agent's turns),
// `:generateContent` (its side questions, some of which want JSON back) and `:countTokens`.

/** Usage reported with every answer: Gemini CLI forwards it (as `_meta.quota.token_count`). */
export const GEMINI_USAGE = { promptTokenCount: 11, candidatesTokenCount: 7, totalTokenCount: 18 };

function understand(body: Loose): ModelCall {
  const contents: Loose[] = Array.isArray(body?.contents) ? body.contents : [];
  const last = contents.filter((c) => c?.role === 'user').at(-1);
  const parts: Loose[] = Array.isArray(last?.parts) ? last.parts : [];
  const tools = (Array.isArray(body?.tools) ? body.tools : []).flatMap((t: Loose) =>
    (t?.functionDeclarations ?? []).map((f: Loose) => String(f?.name)),
  );
  return {
    // The last text part: Gemini CLI puts its session context in earlier parts of the same message.
    prompt: parts.filter((p) => typeof p?.text === 'string').at(-1)?.text ?? '',
    toolResults: parts.filter((p) => p?.functionResponse).map((p) => JSON.stringify(p.functionResponse)),
    tools,
    body,
  };
}

/** A side question that asks for JSON (e.g. "who speaks next"): answered with a minimal valid object. */
function jsonAnswer(body: Loose): string | null {
  const config = body?.generationConfig ?? body?.config;
  if (config?.responseMimeType !== 'application/json') return null;
  const schema = config.responseSchema ?? config.responseJsonSchema ?? {};
  const props = Object.keys(schema.properties ?? {});
  // The "next speaker" check: the user speaks next, so the agent ends its turn.
  if (props.includes('next_speaker')) return JSON.stringify({ reasoning: 'done', next_speaker: 'user' });
  return JSON.stringify(Object.fromEntries(props.map((p) => [p, ''])));
}

function candidate(parts: Loose[], finish: boolean): Loose {
  return {
    candidates: [
      { content: { role: 'model', parts }, index: 0, ...(finish ? { finishReason: 'STOP' } : {}) },
    ],
    ...(finish ? { usageMetadata: GEMINI_USAGE } : {}),
    modelVersion: 'gemini-fake',
  };
}

export function startFakeGemini(script: Script = plainScript): Promise<ScriptedFake> {
  return startScriptedFake(script, (req, res, think) => {
    if (req.method !== 'POST') return json(res, {});
    if (req.path.includes(':countTokens')) return json(res, { totalTokens: 10 });
    const streaming = req.path.includes(':streamGenerateContent');
    if (!streaming && !req.path.includes(':generateContent')) return json(res, {});
    // Side questions that want JSON (routing, "who speaks next") are not the script's business.
    const asJson = jsonAnswer(req.body);
    if (asJson !== null) return answer(res, streaming, [{ text: asJson }]);
    const reply = think(understand(req.body));
    const parts: Loose[] = [];
    if (reply.text) parts.push({ text: reply.text });
    if (reply.tool) parts.push({ functionCall: { name: reply.tool.name, args: reply.tool.args } });
    answer(res, streaming, parts);
  });
}

function answer(res: ServerResponse, streaming: boolean, parts: Loose[]): void {
  if (!streaming) {
    json(res, candidate(parts, true));
    return;
  }
  sseStart(res);
  const chunks: Loose[][] = parts.flatMap((p) =>
    typeof p.text === 'string' ? pieces(p.text).map((t) => [{ text: t }]) : [[p]],
  );
  for (const [i, c] of chunks.entries()) sse(res, candidate(c, i === chunks.length - 1));
  if (chunks.length === 0) sse(res, candidate([{ text: '' }], true));
  res.end();
}
