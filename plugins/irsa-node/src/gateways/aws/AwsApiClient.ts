import type { AwsCredentialsManager } from '@backstage/integration-aws-node';
import type {
  AwsCredentialIdentityProvider,
  Command,
  HttpHandlerOptions,
  MetadataBearer,
} from '@smithy/types';
import type { AwsTarget } from '../types';
import { toGatewayError } from './errors';
import { RequestBudget } from './RequestBudget';

/** The AWS APIs the gateways call: the keys of `irsa.aws.endpoints` and `irsa.aws.requestsPerSecond`. */
export type AwsApiName =
  'iam' | 'sts' | 'ec2' | 'eks' | 'eks-auth' | 'cloudtrail' | 'accessanalyzer';

/** How the gateways reach AWS (from `irsa.aws` config; all optional but the credentials manager). */
export interface AwsGatewayOptions {
  credentialsManager: AwsCredentialsManager;
  userAgent?: string;
  endpoints?: Partial<Record<AwsApiName, string>>;
  /** Requests per second per account and region; CloudTrail is fixed at 2. */
  requestsPerSecond?: Partial<
    Record<Exclude<AwsApiName, 'cloudtrail'>, number>
  >;
  timeoutMs?: number;
  maxAttempts?: number;
  /** One budget for the whole process; each API keeps its own count per account and region. */
  budget?: RequestBudget;
}

/** What every gateway sets on an SDK v3 client. */
export interface AwsClientConfig {
  region: string;
  customUserAgent: string;
  maxAttempts: number;
  endpoint?: string;
  credentials?: AwsCredentialIdentityProvider;
}

/** An SDK v3 client as the gateways use it: it sends the commands of its own API. */
export interface SdkClient<
  In extends object,
  Out extends MetadataBearer,
  Config,
> {
  send<I extends In, O extends Out>(
    command: Command<In, I, Out, O, Config>,
    options?: HttpHandlerOptions,
  ): Promise<O>;
}

/** An SDK command class such as `GetRoleCommand`: named after its action. */
export type AwsCommandClass = abstract new (...args: never[]) => object;

/** One AWS API as a gateway uses it. */
export interface AwsApi<In extends object, Out extends MetadataBearer, Config> {
  name: AwsApiName;
  /** Service prefix of its IAM actions when it is not `name` (`access-analyzer`). */
  actionPrefix?: string;
  /** Default requests per second per account and region. */
  requestsPerSecond: number;
  /** AWS fixes the rate (CloudTrail LookupEvents), so config cannot raise it. */
  fixedRate?: boolean;
  /** Sent without credentials (AssumeRoleWithWebIdentity: the token is the credential). */
  unsigned?: boolean;
  /**
   * Every command the gateway may send; nothing else gets through. The
   * README's IAM policy for Backstage's identity is tested against these.
   */
  commands: readonly AwsCommandClass[];
  createClient(config: AwsClientConfig): SdkClient<In, Out, Config>;
}

/** An API description, its SDK types inferred from `createClient`. */
export function defineAwsApi<
  In extends object,
  Out extends MetadataBearer,
  Config,
>(api: AwsApi<In, Out, Config>): AwsApi<In, Out, Config> {
  return api;
}

/** What names an API's actions. */
type ActionSource = Pick<
  AwsApi<object, MetadataBearer, unknown>,
  'name' | 'actionPrefix' | 'commands'
>;

/** `iam:GetRole` for `GetRoleCommand` of the IAM API. */
function actionOf(api: ActionSource, command: AwsCommandClass): string {
  const operation = command.name.replace(/Command$/, '');
  return `${api.actionPrefix ?? api.name}:${operation}`;
}

/** The IAM actions an API may send, e.g. `iam:GetRole`. */
export function awsApiActions(api: ActionSource): string[] {
  return api.commands.map(command => actionOf(api, command));
}

/** The {@link AwsApiClient} type for an API description. */
export type AwsApiClientFor<A> =
  A extends AwsApi<infer In, infer Out, infer Config>
    ? AwsApiClient<In, Out, Config>
    : never;

/**
 * The one way the gateways reach an AWS API: a client per account and region
 * (credentials from Backstage's AWS integration, cached), the shared request
 * budget, SDK retries, a timeout per call and typed errors. Only the API's
 * declared commands are sent.
 */
export class AwsApiClient<
  In extends object,
  Out extends MetadataBearer,
  Config,
> {
  private readonly clients = new Map<
    string,
    Promise<SdkClient<In, Out, Config>>
  >();
  private readonly actions: Map<unknown, string>;
  private readonly budget: RequestBudget;
  private readonly rate: number;

  constructor(
    private readonly api: AwsApi<In, Out, Config>,
    private readonly options: AwsGatewayOptions,
  ) {
    this.actions = new Map(
      api.commands.map(command => [command, actionOf(api, command)]),
    );
    this.budget = options.budget ?? new RequestBudget();
    // A rate AWS fixes has no config key to raise it.
    const configured =
      api.fixedRate || api.name === 'cloudtrail'
        ? undefined
        : options.requestsPerSecond?.[api.name];
    this.rate = configured ?? api.requestsPerSecond;
  }

  /**
   * Sends one command to the target's account and region. A caller's signal
   * cancels it like the per-call timeout does (as `unavailable`).
   */
  async send<I extends In, O extends Out>(
    target: AwsTarget,
    command: Command<In, I, Out, O, Config>,
    options?: { signal?: AbortSignal },
  ): Promise<O> {
    const action = this.actions.get(command.constructor);
    if (!action) {
      // A programming error, not an AWS answer: the README's policy would not allow it.
      throw new Error(
        `${command.constructor.name} is not among the commands declared for ${this.api.name}`,
      );
    }
    try {
      options?.signal?.throwIfAborted();
      const client = await this.client(target);
      await this.budget.acquire(
        `${this.api.name}/${target.accountId}/${target.region}`,
        this.rate,
      );
      const timeout = AbortSignal.timeout(this.options.timeoutMs ?? 10_000);
      return await client.send(command, {
        abortSignal: options?.signal
          ? AbortSignal.any([options.signal, timeout])
          : timeout,
      });
    } catch (error) {
      throw toGatewayError(error, action);
    }
  }

  private client(target: AwsTarget): Promise<SdkClient<In, Out, Config>> {
    const key = `${target.accountId}/${target.region}`;
    let client = this.clients.get(key);
    if (!client) {
      client = this.createClient(target);
      // A failed credentials lookup is not cached: the next call tries again.
      client.catch(() => this.clients.delete(key));
      this.clients.set(key, client);
    }
    return client;
  }

  private async createClient(
    target: AwsTarget,
  ): Promise<SdkClient<In, Out, Config>> {
    const endpoint = this.options.endpoints?.[this.api.name];
    const config: AwsClientConfig = {
      region: target.region,
      customUserAgent: this.options.userAgent ?? 'backstage-irsa',
      maxAttempts: this.options.maxAttempts ?? 3,
      ...(endpoint ? { endpoint } : {}),
    };
    if (this.api.unsigned) return this.api.createClient(config);
    const { sdkCredentialProvider } =
      await this.options.credentialsManager.getCredentialProvider({
        accountId: target.accountId,
      });
    return this.api.createClient({
      ...config,
      credentials: sdkCredentialProvider,
    });
  }
}
