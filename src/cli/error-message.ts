/**
 * An error as one line: its message, plus its cause's code or message, since the transport
 * wraps socket errors ("cannot listen on ...") and the cause says why (EADDRINUSE).
 */
export function errorMessage(error: unknown): string {
  if (!(error instanceof Error)) return String(error).replace(/\s+/g, ' ');
  let text = error.message;
  const cause = error.cause as (Error & { code?: string }) | undefined;
  if (cause instanceof Error) {
    const why = cause.code ?? cause.message;
    if (why !== '' && !text.includes(why)) text += `: ${why}`;
  }
  return text.replace(/\s+/g, ' ');
}
