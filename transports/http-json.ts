/**
 * JSON written the way Python's `json.dumps` writes it, which is what nodes of the reference
 * LES implementation serve: `", "` and `": "` between items (or one item per line with
 * `indent`), non-ASCII escaped as `\uXXXX`, and every number a float (`12.0`, `1e-05`).
 * Only the shapes LES states hold are supported: objects, arrays, strings, numbers,
 * booleans and null.
 */
export function pythonJson(value: unknown, indent?: number): string {
  return write(value, indent, 0);
}

function write(value: unknown, indent: number | undefined, depth: number): string {
  if (value === null || value === undefined) return 'null';
  if (typeof value === 'boolean') return value ? 'true' : 'false';
  if (typeof value === 'number') return pythonFloat(value);
  if (typeof value === 'string') return pythonString(value);
  const entries: [string | undefined, unknown][] = Array.isArray(value)
    ? value.map((v) => [undefined, v])
    : Object.entries(value as Record<string, unknown>);
  const [open, close] = Array.isArray(value) ? ['[', ']'] : ['{', '}'];
  if (entries.length === 0) return `${open}${close}`;
  const items = entries.map(
    ([key, v]) =>
      `${key === undefined ? '' : `${pythonString(key)}: `}${write(v, indent, depth + 1)}`,
  );
  if (indent === undefined) return `${open}${items.join(', ')}${close}`;
  const inner = ' '.repeat(indent * (depth + 1));
  const outer = ' '.repeat(indent * depth);
  return `${open}\n${inner}${items.join(`,\n${inner}`)}\n${outer}${close}`;
}

/** Python's `repr` of a float: shortest round-trip digits, always with a point or exponent. */
export function pythonFloat(n: number): string {
  if (Number.isNaN(n)) return 'NaN';
  if (!Number.isFinite(n)) return n > 0 ? 'Infinity' : '-Infinity';
  const abs = Math.abs(n);
  if (abs !== 0 && (abs >= 1e16 || abs < 1e-4)) {
    const [mantissa, exponent] = n.toExponential().split('e') as [string, string];
    const sign = exponent.startsWith('-') ? '-' : '+';
    const digits = exponent.replace(/^[+-]/, '').padStart(2, '0');
    return `${mantissa}e${sign}${digits}`;
  }
  const text = Object.is(n, -0) ? '-0' : String(n);
  return text.includes('.') ? text : `${text}.0`;
}

const ESCAPES: Record<string, string> = {
  '"': '\\"',
  '\\': '\\\\',
  '\n': '\\n',
  '\r': '\\r',
  '\t': '\\t',
  '\b': '\\b',
  '\f': '\\f',
};

function pythonString(s: string): string {
  let out = '"';
  for (let i = 0; i < s.length; i++) {
    const ch = s[i]!;
    const code = s.charCodeAt(i);
    const escaped = ESCAPES[ch];
    if (escaped !== undefined) out += escaped;
    else if (code < 0x20 || code > 0x7e) out += `\\u${code.toString(16).padStart(4, '0')}`;
    else out += ch;
  }
  return `${out}"`;
}
