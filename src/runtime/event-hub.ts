/**
 * A typed listener registry. Unlike Node's EventEmitter, an 'error' with no listener does
 * not throw, and a listener that throws does not stop the others: its error is handed
 * back to the caller, which reports it as an 'error' event instead of crashing the node.
 */
// biome-ignore lint/suspicious/noExplicitAny: listeners are typed per event by the map
type Listener = (event: any) => void;

export class EventHub<Events extends object> {
  private listeners = new Map<keyof Events, Set<Listener>>();

  on<K extends keyof Events>(type: K, listener: (event: Events[K]) => void): () => void {
    let set = this.listeners.get(type);
    if (set === undefined) {
      set = new Set();
      this.listeners.set(type, set);
    }
    set.add(listener);
    return () => this.off(type, listener);
  }

  off<K extends keyof Events>(type: K, listener: (event: Events[K]) => void): void {
    this.listeners.get(type)?.delete(listener);
  }

  /** Calls every listener; returns what the listeners threw (errors from 'error' listeners are dropped). */
  emit<K extends keyof Events>(type: K, event: Events[K]): Error[] {
    const set = this.listeners.get(type);
    if (set === undefined) return [];
    const errors: Error[] = [];
    for (const listener of [...set]) {
      try {
        listener(event);
      } catch (err) {
        if (type !== 'error') errors.push(err instanceof Error ? err : new Error(String(err)));
      }
    }
    return errors;
  }
}
