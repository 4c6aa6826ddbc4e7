// A long-running part of the daemon (after rocicorp/mono's services): `run`
// resolves when the service has stopped; `stop` asks it to, finishing what it
// has in flight first.

export interface Service {
  readonly name: string;
  run(): Promise<void>;
  stop(): Promise<void>;
}
