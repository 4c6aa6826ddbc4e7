// The supervisor's log is passed in, never global. Lines are JSON, like
// Dolt's own log. Nothing logged here ever holds a password.

export type LogFields = Readonly<Record<string, string | number | boolean | null | undefined>>;

export interface Log {
  info(msg: string, fields?: LogFields): void;
  warn(msg: string, fields?: LogFields): void;
  error(msg: string, fields?: LogFields): void;
}


/** JSON lines on a writable stream (the supervisor's stderr: the terminal, journald, or supervisor.log when detached). */
export function jsonLog(write: (line: string) => void, now: () => Date = () => new Date()): Log {
  const line = (level: string, msg: string, fields?: LogFields): void => {
    write(`${JSON.stringify({ time: now().toISOString(), level, component: 'grava-server', msg, ...fields })}\n`);
  };
  return {
    info: (msg, fields) => line('info', msg, fields),
    warn: (msg, fields) => line('warning', msg, fields),
    error: (msg, fields) => line('error', msg, fields),
  };
}
