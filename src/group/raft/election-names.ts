// Names become directory names under dataDir: no separators, and never '.' or '..'.
const ELECTION_NAME = /^[A-Za-z0-9][A-Za-z0-9._-]{0,63}$/;

/** Checks a group's election names; throws a TypeError naming the first bad one. */
export function checkElectionNames(names: unknown): readonly string[] {
  if (!Array.isArray(names) || names.length === 0) {
    throw new TypeError('elections must name at least one election');
  }
  const seen = new Set<string>();
  for (const name of names) {
    if (typeof name !== 'string' || !ELECTION_NAME.test(name)) {
      throw new TypeError(
        `election name ${JSON.stringify(name)} must be 1-64 letters, digits, '.', '_' or '-', starting with a letter or digit`,
      );
    }
    if (seen.has(name)) throw new TypeError(`election ${name} is named twice`);
    seen.add(name);
  }
  return [...seen];
}
