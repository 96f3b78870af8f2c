import { setTimeout as sleep } from 'node:timers/promises';
import {
  GatewayError,
  type AwsGateways,
} from '@backstage-irsa/plugin-irsa-node';
import { sandboxError } from './state';

/** Which sandbox gateway served a call: an AWS one by its service name, or Kubernetes. */
export type SandboxService = keyof AwsGateways | 'kubernetes';

/** One gateway call the sandbox served (for tests and benchmarks). */
export interface SandboxCall {
  service: SandboxService;
  operation: string;
  write: boolean;
  startedAt: number;
  endedAt?: number;
  error?: string;
}

const WRITE =
  /^(create|update|tag|untag|delete|attach|detach|put|patch|restart)/;

/** Knobs for benchmarks and fault tests. */
export class SandboxFaults {
  latencyMs = 0;
  throttleRate = 0;
  readonly calls: SandboxCall[] = [];
  private served = 0;
  private readonly pending = new Map<string, GatewayError[]>();

  /** The next call of `operation` (a gateway method name) fails with `error`. */
  failNext(operation: string, error: GatewayError) {
    this.pending.set(operation, [
      ...(this.pending.get(operation) ?? []),
      error,
    ]);
  }

  // Deterministic: with rate r, every 1/r-th call is throttled.
  private throttled(): boolean {
    this.served += 1;
    return (
      this.throttleRate > 0 &&
      Math.floor(this.served * this.throttleRate) >
        Math.floor((this.served - 1) * this.throttleRate)
    );
  }

  /** Wraps every method of a gateway: logs the call, adds latency, injects faults. */
  wrap<T extends object>(gateway: T, service: SandboxService): T {
    return new Proxy(gateway, {
      get: (target, property, receiver) => {
        const value = Reflect.get(target, property, receiver);
        if (typeof value !== 'function' || typeof property !== 'string')
          return value;
        return async (...args: unknown[]) => {
          const call: SandboxCall = {
            service,
            operation: property,
            write: WRITE.test(property),
            startedAt: Date.now(),
          };
          this.calls.push(call);
          try {
            if (this.latencyMs > 0) await sleep(this.latencyMs);
            const injected = this.pending.get(property)?.shift();
            if (injected) throw injected;
            if (this.throttled()) {
              throw sandboxError(
                'throttled',
                property,
                'Throttling',
                'Rate exceeded',
              );
            }
            return await value.apply(target, args);
          } catch (error) {
            call.error = (error as Error).name;
            throw error;
          } finally {
            call.endedAt = Date.now();
          }
        };
      },
    });
  }
}
