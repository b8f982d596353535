/**
 * SIGTERM, SIGINT and SIGHUP, caught from the moment `procpush run` starts: a signal that comes while
 * the state is restored or the first cycle runs (seconds on a big host) waits for the daemon instead
 * of killing the process (Node's default for SIGHUP is to exit with 129).
 */

export type DaemonSignal = 'SIGTERM' | 'SIGINT' | 'SIGHUP';

const SIGNALS: readonly DaemonSignal[] = ['SIGTERM', 'SIGINT', 'SIGHUP'];

export class SignalInbox {
  readonly #pending: DaemonSignal[] = [];
  #listener: ((signal: DaemonSignal) => void) | undefined;
  readonly #handlers = new Map<DaemonSignal, () => void>();

  /** Installs the handlers; signals are kept until `listen`. */
  constructor() {
    for (const signal of SIGNALS) {
      const handler = (): void => {
        if (this.#listener === undefined) this.#pending.push(signal);
        else this.#listener(signal);
      };
      this.#handlers.set(signal, handler);
      process.on(signal, handler);
    }
  }

  /** Delivers the signals kept so far, in order, then every new one. */
  listen(listener: (signal: DaemonSignal) => void): void {
    this.#listener = listener;
    for (const signal of this.#pending.splice(0)) listener(signal);
  }

  /** Removes the handlers (Node's defaults apply again). */
  close(): void {
    for (const [signal, handler] of this.#handlers) process.off(signal, handler);
    this.#handlers.clear();
    this.#listener = undefined;
  }
}
