/**
 * The fenced register's rule: a write is accepted only if its fencing token is not older
 * than the newest accepted so far; writes without a token (protocols that have none) are
 * always accepted, and logged like the rest.
 */
export interface RegisterState {
  newest: number | null;
}

export function decideWrite(
  state: RegisterState,
  token: number | null,
): { accepted: boolean; newest: number | null } {
  const before = state.newest;
  if (token === null) return { accepted: true, newest: before };
  const accepted = before === null || token >= before;
  if (accepted && (before === null || token > before)) state.newest = token;
  return { accepted, newest: before };
}
