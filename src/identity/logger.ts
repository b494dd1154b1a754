/** The slice of InvocationContext the use cases log through (so every line carries the invocation id). */
export interface Logger {
  info(...args: unknown[]): void;
  warn(...args: unknown[]): void;
  error(...args: unknown[]): void;
}
