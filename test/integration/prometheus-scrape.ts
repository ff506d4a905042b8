import parsePrometheusTextFormat, { type ParsedFamily } from 'parse-prometheus-text-format';

/** A `/metrics` body as a Prometheus text parser reads it. */
export class Scrape {
  constructor(readonly families: ParsedFamily[]) {}

  static parse(text: string): Scrape {
    return new Scrape(parsePrometheusTextFormat(text));
  }

  family(name: string): ParsedFamily {
    const found = this.families.find((f) => f.name === name);
    if (found === undefined) throw new Error(`no metric family ${name} in the scrape`);
    return found;
  }

  /** The one sample of `name` whose labels include `labels`; undefined if there is none. */
  value(name: string, labels: Record<string, string> = {}): number | undefined {
    const matches = this.family(name).metrics.filter((m) =>
      Object.entries(labels).every(([k, v]) => m.labels?.[k] === v),
    );
    if (matches.length > 1) throw new Error(`${matches.length} samples of ${name} match`);
    const raw = matches[0]?.value;
    return raw === undefined ? undefined : Number(raw);
  }
}

/** GETs a `/metrics` endpoint; undefined while it does not answer. */
export async function scrape(url: string): Promise<Scrape | undefined> {
  try {
    const response = await fetch(url);
    if (!response.ok) return undefined;
    if (!response.headers.get('content-type')?.startsWith('text/plain; version=0.0.4')) {
      throw new Error(`unexpected content type ${response.headers.get('content-type')}`);
    }
    return Scrape.parse(await response.text());
  } catch (err) {
    if (err instanceof TypeError) return undefined; // not listening (yet, or any more)
    throw err;
  }
}
