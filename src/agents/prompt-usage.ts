// A turn's token totals from the agent's answer to session/prompt. ACP has an optional (unstable)
// `usage` field; Gemini CLI reports them only in `_meta.quota.token_count` as `{input_tokens,
// output_tokens}` (docs/agents.md). Either way they are kept like a usage update with `turn: true`.

type Json = Record<string, unknown>;
const isObject = (v: unknown): v is Json => typeof v === 'object' && v !== null && !Array.isArray(v);
const count = (v: unknown): number | null => (typeof v === 'number' && Number.isFinite(v) && v >= 0 ? v : null);

/** The usage fields of a PromptResponse, or null when it carries none. */
export function turnUsage(response: unknown): Json | null {
  if (!isObject(response)) return null;
  if (isObject(response.usage)) return response.usage;
  const meta = isObject(response._meta) ? response._meta : null;
  const quota = meta && isObject(meta.quota) ? meta.quota : null;
  const tokens = quota && isObject(quota.token_count) ? quota.token_count : null;
  if (!tokens) return null;
  const input = count(tokens.input_tokens);
  const output = count(tokens.output_tokens);
  if (input === null && output === null) return null;
  return {
    ...(input !== null ? { inputTokens: input } : {}),
    ...(output !== null ? { outputTokens: output } : {}),
    totalTokens: (input ?? 0) + (output ?? 0),
  };
}
