import { quoteEvent } from './event-text.js';
import { finding } from './finding.js';
import type { RssEvent } from './history.js';
import type { HistoryIndex } from './history-index.js';
import type { MemoryStats, Violation } from './verdict.js';

const MB = 1024 * 1024;
/** Growth must pass both to count: a relative one alone flags a tiny heap, an absolute one a big one. */
const GROWTH_RATIO = 1.5;
const GROWTH_BYTES = 30 * MB;
/** The heap after a full collection has no allocator slack, so a smaller floor is enough. */
const HEAP_GROWTH_BYTES = 10 * MB;
const WARM_UP = 0.2;

export interface MemoryFindings {
  violations: Violation[];
  memory: MemoryStats[];
}

/**
 * RSS of each worker process after warm-up against its last sample. Warm-up is the first
 * fifth of the run, or of the process's own sampled life when it started later.
 */
export function checkMemory(index: HistoryIndex): MemoryFindings {
  const { history } = index;
  const runWarm = history.start + WARM_UP * (history.end - history.start);
  const byProcess = new Map<string, RssEvent[]>();
  for (const r of index.of('rss')) {
    const k = `${r.node}#${r.incarnation}`;
    const list = byProcess.get(k);
    if (list) list.push(r);
    else byProcess.set(k, [r]);
  }
  const out: MemoryFindings = { violations: [], memory: [] };
  for (const samples of byProcess.values()) {
    const first = samples[0]!;
    const last = samples[samples.length - 1]!;
    const warmAt = Math.max(runWarm, first.at + WARM_UP * (last.at - first.at));
    const warm = samples.find((r) => r.at >= warmAt);
    if (warm === undefined || warm === last) continue;
    const heaps = samples.filter((r) => r.heapBytes !== undefined);
    const warmHeap = heaps.find((r) => r.at >= warmAt);
    const lastHeap = heaps[heaps.length - 1];
    const heap =
      warmHeap !== undefined && lastHeap !== undefined && lastHeap !== warmHeap
        ? { warmHeapBytes: warmHeap.heapBytes!, endHeapBytes: lastHeap.heapBytes! }
        : {};
    out.memory.push({
      node: first.node,
      incarnation: first.incarnation,
      warmBytes: warm.bytes,
      endBytes: last.bytes,
      warmAt: warm.at,
      endAt: last.at,
      ...heap,
    });
    if (warmHeap !== undefined && lastHeap !== undefined && lastHeap !== warmHeap) {
      const grew = lastHeap.heapBytes! - warmHeap.heapBytes!;
      if (lastHeap.heapBytes! > GROWTH_RATIO * warmHeap.heapBytes! && grew > HEAP_GROWTH_BYTES) {
        out.violations.push(
          finding(
            index,
            'memory-growth',
            `${quoteEvent(lastHeap)} after ${quoteEvent(warmHeap)}: the heap after a full ` +
              `collection grew ${(grew / MB).toFixed(1)} MB ` +
              `(${Math.round((100 * grew) / warmHeap.heapBytes!)}%) after warm-up`,
            [warmHeap, lastHeap],
            lastHeap.at,
          ),
        );
        continue;
      }
    }
    const growth = last.bytes - warm.bytes;
    if (last.bytes > GROWTH_RATIO * warm.bytes && growth > GROWTH_BYTES) {
      out.violations.push(
        finding(
          index,
          'memory-growth',
          `${quoteEvent(last)} after ${quoteEvent(warm)}: grew ${(growth / MB).toFixed(1)} MB ` +
            `(${Math.round((100 * growth) / warm.bytes)}%) after warm-up`,
          [warm, last],
          last.at,
        ),
      );
    }
  }
  return out;
}
