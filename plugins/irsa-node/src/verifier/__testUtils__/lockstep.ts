import type { IrsaService } from '../../service/types';

/** One gateway call, and the round it was released in. */
export interface LockstepCall {
  round: number;
  gateway: string;
  operation: string;
}

const GATEWAYS = [
  'iam',
  'sts',
  'eks',
  'eksAuth',
  'network',
  'cloudTrail',
  'policyValidation',
  'kubernetes',
] as const;

const settle = () => new Promise<void>(resolve => setImmediate(resolve));

/**
 * Counts dependent round trips without a clock: every gateway call waits
 * until the driver releases the calls waiting at that moment together, one
 * round per release. A call that needs an earlier call's answer can only
 * start in a later round, so the number of releases is the length of the
 * verification's critical path in gateway calls. (The cluster facts service
 * is left as it is: pass the facts in, as a warm cache does.)
 */
export function lockstep(service: IrsaService) {
  const waiting: Array<() => void> = [];
  const calls: LockstepCall[] = [];
  let inFlight = 0;
  let round = 0;

  const wrap = <T extends object>(gateway: T, name: string): T =>
    new Proxy(gateway, {
      get(target, property, receiver) {
        const value = Reflect.get(target, property, receiver);
        if (typeof value !== 'function' || typeof property !== 'string')
          return value;
        return async (...args: unknown[]) => {
          await new Promise<void>(resolve => waiting.push(resolve));
          calls.push({ round, gateway: name, operation: property });
          inFlight += 1;
          try {
            return await value.apply(target, args);
          } finally {
            inFlight -= 1;
          }
        };
      },
    });

  const wrapped = { ...service } as IrsaService;
  for (const name of GATEWAYS) {
    if (!service[name]) continue;
    (wrapped as unknown as Record<string, object>)[name] = wrap(
      service[name] as object,
      name,
    );
  }

  /** Runs `start()` to completion, releasing waiting calls round by round. */
  async function run<T>(start: () => Promise<T>) {
    let done = false;
    const result = start().finally(() => {
      done = true;
    });
    for (;;) {
      // Let answered calls' continuations run until they wait or finish.
      do await settle();
      while (inFlight > 0);
      await settle();
      if (done) break;
      if (!waiting.length)
        throw new Error('lockstep: nothing waiting and not done');
      round += 1;
      for (const release of waiting.splice(0)) release();
    }
    return { value: await result, rounds: round };
  }

  /** The calls of each round, `gateway.operation`, sorted within the round. */
  function byRound(): string[][] {
    const rounds: string[][] = Array.from({ length: round }, () => []);
    for (const c of calls)
      rounds[c.round - 1].push(`${c.gateway}.${c.operation}`);
    return rounds.map(r => r.sort());
  }

  return { service: wrapped, run, calls, byRound };
}
