// A small syntax highlighter for code blocks: comments, strings, numbers and keywords of the
// languages coding agents print most. Not a parser: a single left-to-right scan with one regex
// per language, which is plenty for reading and keeps the bundle small (no grammar library).
// Output is HTML with every character of the input escaped.

export function escapeHtml(s: string): string {
  return s.replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`);
}

interface Lang {
  keywords: ReadonlySet<string>;
  /** Regex sources for comments, in priority order. */
  comments: string[];
  /** Regex sources for string literals. */
  strings: string[];
}

// Keyword lists are not indented inside their backquotes: the bundle ships every character.
const words = (s: string): ReadonlySet<string> => new Set(s.split(/\s+/).filter(Boolean));

const DQ = String.raw`"(?:[^"\\\n]|\\.)*"?`;
const SQ = String.raw`'(?:[^'\\\n]|\\.)*'?`;
const BT = String.raw`\x60(?:[^\x60\\]|\\[\s\S])*\x60?`;
const C_BLOCK = String.raw`\/\*[\s\S]*?(?:\*\/|$)`;
const C_LINE = String.raw`\/\/[^\n]*`;
const HASH_LINE = String.raw`#[^\n]*`;

const JS: Lang = {
  keywords: words(`
as async await break case catch class const continue debugger default delete do else enum export
extends false finally for from function get if implements import in instanceof interface let new
null of package private protected public readonly return satisfies set static super switch this
throw true try type typeof undefined var void while with yield keyof declare namespace abstract`),
  comments: [C_BLOCK, C_LINE],
  strings: [BT, DQ, SQ],
};

const PY: Lang = {
  keywords: words(`
and as assert async await break class continue def del elif else except False finally for from
global if import in is lambda None nonlocal not or pass raise return True try while with yield self match case`),
  comments: [HASH_LINE],
  strings: [String.raw`"""[\s\S]*?(?:"""|$)`, String.raw`'''[\s\S]*?(?:'''|$)`, DQ, SQ],
};

const SH: Lang = {
  keywords: words(`
if then else elif fi for in do done while until case esac function return local export readonly
set unset shift exit echo cd source true false`),
  comments: [String.raw`(?:^|(?<=\s))#[^\n]*`],
  strings: [DQ, "'[^']*'?"],
};

const GO: Lang = {
  keywords: words(`
break case chan const continue default defer else fallthrough for func go goto if import interface
map package range return select struct switch type var nil true false iota error string int bool byte`),
  comments: [C_BLOCK, C_LINE],
  strings: [BT, DQ, SQ],
};

const RUST: Lang = {
  keywords: words(`
as async await break const continue crate dyn else enum extern false fn for if impl in let loop match
mod move mut pub ref return self Self static struct super trait true type unsafe use where while
Some None Ok Err String Vec Option Result`),
  comments: [C_BLOCK, C_LINE],
  strings: [DQ],
};

const C_LIKE: Lang = {
  keywords: words(`
abstract auto bool boolean break case catch char class const continue default delete do double else
enum extends false final finally float for goto if implements import include int interface long
namespace new null nullptr private protected public return short signed sizeof static struct super
switch template this throw throws true try typedef typename union unsigned using var virtual void
volatile while`),
  comments: [C_BLOCK, C_LINE],
  strings: [DQ, SQ],
};

const JSON_LANG: Lang = { keywords: words('true false null'), comments: [], strings: [DQ] };

const CSS: Lang = {
  keywords: words('important media import from to and not only supports keyframes'),
  comments: [C_BLOCK],
  strings: [DQ, SQ],
};

const SQL: Lang = {
  keywords: words(`
select from where and or not insert into values update set delete create table index drop alter add
primary key foreign references join left right inner outer on group by order having limit offset as
distinct null is in exists case when then else end begin commit rollback returning default unique`),
  comments: [String.raw`--[^\n]*`, C_BLOCK],
  strings: [SQ, DQ],
};

const YAML: Lang = {
  keywords: words('true false null yes no on off'),
  comments: [HASH_LINE],
  strings: [DQ, SQ],
};

const GENERIC: Lang = { keywords: new Set(), comments: [], strings: [DQ] };

const ALIASES: Record<string, Lang> = {
  js: JS,
  javascript: JS,
  jsx: JS,
  mjs: JS,
  cjs: JS,
  ts: JS,
  typescript: JS,
  tsx: JS,
  mts: JS,
  py: PY,
  python: PY,
  sh: SH,
  bash: SH,
  shell: SH,
  zsh: SH,
  console: SH,
  shellsession: SH,
  go: GO,
  golang: GO,
  rs: RUST,
  rust: RUST,
  c: C_LIKE,
  h: C_LIKE,
  cpp: C_LIKE,
  'c++': C_LIKE,
  cc: C_LIKE,
  hpp: C_LIKE,
  java: C_LIKE,
  cs: C_LIKE,
  csharp: C_LIKE,
  kotlin: C_LIKE,
  kt: C_LIKE,
  swift: C_LIKE,
  php: C_LIKE,
  scala: C_LIKE,
  dart: C_LIKE,
  json: JSON_LANG,
  jsonc: JS,
  json5: JS,
  css: CSS,
  scss: CSS,
  less: CSS,
  sql: SQL,
  postgres: SQL,
  sqlite: SQL,
  yaml: YAML,
  yml: YAML,
  toml: YAML,
  ini: YAML,
};

const compiled = new Map<Lang, RegExp>();

function regexFor(lang: Lang): RegExp {
  let re = compiled.get(lang);
  if (!re) {
    const parts = [
      lang.comments.length ? `(${lang.comments.join('|')})` : '(?!)',
      lang.strings.length ? `(${lang.strings.join('|')})` : '(?!)',
      String.raw`(\b(?:0[xX][\da-fA-F_]+|\d[\d_]*(?:\.\d+)?(?:[eE][+-]?\d+)?)\b)`,
      String.raw`([A-Za-z_$][\w$]*)`,
    ];
    re = new RegExp(parts.join('|'), 'gm');
    compiled.set(lang, re);
  }
  return re;
}

function span(cls: string, text: string): string {
  return `<span class="tok-${cls}">${escapeHtml(text)}</span>`;
}

function highlightDiff(code: string): string {
  return code
    .split('\n')
    .map((line) => {
      if (line.startsWith('+++') || line.startsWith('---')) return span('meta', line);
      if (line.startsWith('+')) return span('add', line);
      if (line.startsWith('-')) return span('del', line);
      if (line.startsWith('@@')) return span('meta', line);
      return escapeHtml(line);
    })
    .join('\n');
}

/** Highlights `code` written in `lang` (any case, common aliases); unknown languages get strings and numbers only. */
export function highlight(code: string, lang = ''): string {
  const key = lang.trim().toLowerCase();
  if (key === 'diff' || key === 'patch') return highlightDiff(code);
  // Highlighting huge blocks costs more than it helps reading them.
  if (code.length > 100_000) return escapeHtml(code);
  const spec = ALIASES[key] ?? GENERIC;
  const re = regexFor(spec);
  re.lastIndex = 0;
  let out = '';
  let last = 0;
  for (let m = re.exec(code); m; m = re.exec(code)) {
    if (m[0] === '') {
      re.lastIndex++;
      continue;
    }
    out += escapeHtml(code.slice(last, m.index));
    if (m[1] !== undefined) out += span('com', m[0]);
    else if (m[2] !== undefined) out += span('str', m[0]);
    else if (m[3] !== undefined) out += span('num', m[0]);
    else if (spec.keywords.has(m[0])) out += span('kw', m[0]);
    else out += escapeHtml(m[0]);
    last = m.index + m[0].length;
  }
  return out + escapeHtml(code.slice(last));
}
