/**
 * Quotes user input for a one-line message. Control characters are escaped so that no
 * value, however odd, can split a diagnostic over several lines.
 */
export function quote(text: string): string {
  const escaped = text.replace(
    /\p{Cc}/gu,
    (c) => `\\u${c.charCodeAt(0).toString(16).padStart(4, '0')}`,
  );
  return `'${escaped}'`;
}
