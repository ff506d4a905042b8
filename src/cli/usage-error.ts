/**
 * A mistake in how the command was invoked. The CLI prints its message as one line and exits
 * with code 2; anything else that goes wrong is a runtime failure (code 1).
 */
export class UsageError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'UsageError';
  }
}
