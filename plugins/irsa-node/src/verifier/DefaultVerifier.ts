import type { LoggerService } from '@backstage/backend-plugin-api';
import { InputError } from '@backstage/errors';
import {
  EKS_AUDIENCE_ANNOTATION,
  EKS_ROLE_ARN_ANNOTATION,
  STS_AUDIENCE,
  defaultRoleName,
  overallStatus,
  parseRoleArn,
  type AttachedPolicy,
  type GuardrailOptions,
  type RoleArnParts,
  type VerificationReport,
} from '@backstage-irsa/plugin-irsa-common';
import { setTimeout as sleep } from 'node:timers/promises';
import { GatewayError, isGatewayError } from '../gateways/errors';
import type {
  AssumedIdentity,
  AwsTarget,
  CloudTrailEventInfo,
  RoleInfo,
  StsGateway,
} from '../gateways/types';
import type {
  ClusterFacts,
  IrsaService,
  Verifier,
  VerifyOptions,
  VerifyRequest,
} from '../service/types';
import { evaluateBinding, type BindingResult } from './binding';
import { CheckRegistry, type IrsaCheckRegistry } from './CheckRegistry';
import { builtInChecks } from './checks';
import { podsNeedingRestart } from './checks/pod-injection';
import { runChecks } from './runChecks';
import { DEFAULT_VERIFIER_OPTIONS, type VerifierOptions } from './options';
import {
  cancelled,
  chain,
  known,
  notRead,
  orUndefinedIfMissing,
  read,
  type Evidence,
  type RoleArnSource,
  type Source,
} from './sources';

/** Token lifetime for the exchange: the TokenRequest minimum. */
const TOKEN_SECONDS = 600;

// What Kubernetes requires of namespace and ServiceAccount names.
const DNS1123_LABEL = /^[a-z0-9]([-a-z0-9]{0,61}[a-z0-9])?$/;
const DNS1123_SUBDOMAIN =
  /^(?=.{1,253}$)[a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*$/;

const NOT_BOUND = 'not read: role not bound to this entity';

/**
 * What {@link DefaultVerifier} is built from: the verifier settings of
 * {@link VerifierOptions}, each defaulting as there when left out.
 */
export interface DefaultVerifierOptions extends Partial<
  Omit<VerifierOptions, 'cloudTrail'>
> {
  service: IrsaService;
  logger: LoggerService;
  cloudTrail?: Partial<VerifierOptions['cloudTrail']>;
  /** The checks to run; default: the built-in checks only. */
  checks?: IrsaCheckRegistry;
}

/**
 * Runs the checks, binding first. Nothing that shows or uses the role or
 * ServiceAccount (policy documents, pods, a token, CloudTrail) is read
 * until the binding check proved they belong to the entity. Sources are read
 * with as few dependent round trips as possible, each with a deadline; an
 * unreadable source makes its checks `unknown`.
 */
export class DefaultVerifier implements Verifier {
  private readonly service: IrsaService;
  private readonly logger: LoggerService;
  private readonly checkTimeoutMs: number;
  private readonly requireBinding: boolean;
  private readonly lookbackMinutes: number;
  private readonly cloudTrailCacheMs: number;
  private readonly cloudTrailMaxEntries: number;
  private readonly guardrails?: GuardrailOptions;
  private readonly checks: IrsaCheckRegistry;
  // One CloudTrail lookup per role per cache period, shared by every viewer;
  // a Map keeps insertion order, so re-inserting on use makes it an LRU.
  private readonly cloudTrailCache = new Map<
    string,
    { at: number; events: Promise<CloudTrailEventInfo[]> }
  >();

  constructor(options: DefaultVerifierOptions) {
    const defaults = DEFAULT_VERIFIER_OPTIONS;
    this.service = options.service;
    this.logger = options.logger;
    this.checkTimeoutMs = options.checkTimeoutMs ?? defaults.checkTimeoutMs;
    this.requireBinding = options.requireBinding ?? defaults.requireBinding;
    this.lookbackMinutes =
      options.cloudTrail?.lookbackMinutes ??
      defaults.cloudTrail.lookbackMinutes;
    this.cloudTrailCacheMs =
      (options.cloudTrail?.cacheSeconds ?? defaults.cloudTrail.cacheSeconds) *
      1000;
    this.cloudTrailMaxEntries =
      options.cloudTrail?.maxEntries ?? defaults.cloudTrail.maxEntries;
    this.guardrails = options.guardrails;
    this.checks = options.checks ?? new CheckRegistry(builtInChecks);
  }

  async verify(
    request: VerifyRequest,
    options: VerifyOptions = {},
  ): Promise<VerificationReport> {
    const started = Date.now();
    const cluster = this.service.clusters.get(request.cluster);
    const { namespace, serviceAccount: name } = request;
    if (!DNS1123_LABEL.test(namespace))
      throw new InputError('namespace: must be a DNS-1123 label');
    if (!DNS1123_SUBDOMAIN.test(name))
      throw new InputError('serviceAccount: must be a DNS-1123 subdomain');
    const target: AwsTarget = {
      accountId: cluster.accountId,
      region: cluster.region,
    };
    const { iam, kubernetes } = this.service;
    const timeout = this.checkTimeoutMs;
    const { signal } = options;
    const fallbackName = defaultRoleName(request.cluster, namespace, name);

    // Round 1: the cluster's facts and provider, and the ServiceAccount.
    const factsP: Promise<Source<ClusterFacts>> = options.facts
      ? Promise.resolve(known(options.facts))
      : read(
          'cluster facts',
          timeout,
          () => this.service.facts.get(request.cluster),
          signal,
        );
    const providerP = factsP.then(facts =>
      chain(facts, f =>
        read(
          'iam:GetOpenIDConnectProvider',
          timeout,
          () =>
            orUndefinedIfMissing(
              iam.getOidcProvider(target, f.oidcProviderArn),
            ),
          signal,
        ),
      ),
    );
    const serviceAccount = await read(
      'ServiceAccount',
      timeout,
      () => kubernetes.getServiceAccount(request.cluster, namespace, name),
      signal,
    );
    const account = serviceAccount.ok ? serviceAccount.value : undefined;

    // The role: the entity's ARN, else the ServiceAccount's, else the default name.
    const annotated = account?.annotations[EKS_ROLE_ARN_ANNOTATION];
    const given = request.roleArn ?? annotated;
    let roleArnSource: RoleArnSource = 'none';
    if (request.roleArn) roleArnSource = 'entity';
    else if (annotated) roleArnSource = 'service-account';
    let parsed: { arn: string; parts: RoleArnParts } | undefined;
    let roleArnProblem: string | undefined;
    if (given !== undefined) {
      try {
        parsed = { arn: given, parts: parseRoleArn(given, 'role ARN') };
      } catch (error) {
        roleArnProblem = (error as Error).message.replace(/^role ARN: /, '');
      }
    }
    // Only a role in the cluster's own account is ever looked up by name.
    let lookupName: string | undefined;
    if (parsed) {
      const inClusterAccount =
        parsed.parts.accountId === cluster.accountId &&
        parsed.parts.partition === cluster.partition;
      lookupName = inClusterAccount ? parsed.parts.roleName : undefined;
    } else if (!roleArnProblem) {
      lookupName = fallbackName;
    }

    // Round 2: the role.
    const role: Source<RoleInfo | undefined> = lookupName
      ? await read(
          'iam:GetRole',
          timeout,
          () => orUndefinedIfMissing(iam.getRole(target, lookupName)),
          signal,
        )
      : known(undefined);
    if (!parsed && !roleArnProblem && role.ok && role.value) {
      parsed = {
        arn: role.value.arn,
        parts: parseRoleArn(role.value.arn, 'role ARN'),
      };
      roleArnSource = 'default-name';
    }
    const roleInfo = role.ok ? role.value : undefined;

    // The binding, from what was read so far: no document, token or pod yet.
    const unreadable = [serviceAccount, role].find(x => !x.ok);
    let binding: Source<BindingResult>;
    if (unreadable && !unreadable.ok) {
      binding = unreadable.aborted ? cancelled() : notRead(unreadable.reason);
    } else {
      binding = known(
        evaluateBinding({
          entityRef: request.entityRef,
          cluster,
          namespace,
          serviceAccountName: name,
          roleArn: parsed,
          roleArnSource,
          roleArnProblem,
          defaultRoleName: fallbackName,
          role: roleInfo,
          serviceAccount: account,
        }),
      );
    }
    const bound = binding.ok && (binding.value.proven || !this.requireBinding);
    const roleArn = parsed?.arn;
    const audience =
      account?.annotations[EKS_AUDIENCE_ANNOTATION] ?? STS_AUDIENCE;

    // Round 3, only for a bound role: pods, policies, CloudTrail, the exchange.
    const skip = <T>(): Promise<Source<T>> =>
      Promise.resolve(signal?.aborted ? cancelled<T>() : notRead<T>(NOT_BOUND));
    const podsP = bound
      ? read(
          'pods',
          timeout,
          () =>
            kubernetes.listPodsForServiceAccount(
              request.cluster,
              namespace,
              name,
            ),
          signal,
        )
      : skip<
          Awaited<ReturnType<typeof kubernetes.listPodsForServiceAccount>>
        >();
    // One call for the owners of the pods that need a restart, if any.
    const podOwnersP = podsP.then(pods => {
      const stale = pods.ok ? podsNeedingRestart(pods.value, roleArn) : [];
      if (!stale.length) return undefined;
      return read(
        'pod owners',
        timeout,
        () =>
          kubernetes.resolvePodOwners(
            request.cluster,
            namespace,
            stale.map(p => p.name),
          ),
        signal,
      );
    });
    let policiesP = skip<AttachedPolicy[]>();
    let cloudTrailP = skip<CloudTrailEventInfo[]>();
    let exchangeP = skip<AssumedIdentity | GatewayError>();
    if (bound && roleInfo) {
      policiesP = read(
        'role policies',
        timeout,
        () => this.readPolicies(target, roleInfo.name),
        signal,
      );
      cloudTrailP = read(
        'cloudtrail:LookupEvents',
        timeout,
        () => this.lookupCloudTrail(target, roleInfo.arn),
        signal,
      );
      exchangeP = account
        ? this.tokenExchange(target, roleInfo.arn, request, audience, options)
        : Promise.resolve(
            notRead(`ServiceAccount ${namespace}/${name} does not exist`),
          );
    } else if (bound) {
      // No role: nothing attached, nothing logged, nothing to exchange for.
      policiesP = Promise.resolve(known([]));
      cloudTrailP = Promise.resolve(known([]));
      exchangeP = Promise.resolve(notRead('the role does not exist'));
    }

    const [facts, provider, pods, podOwners, policies, exchange, cloudTrail] =
      await Promise.all([
        factsP,
        providerP,
        podsP,
        podOwnersP,
        policiesP,
        exchangeP,
        cloudTrailP,
      ]);
    const evidence: Evidence = {
      guardrails: this.guardrails,
      namespace,
      serviceAccountName: name,
      defaultRoleName: fallbackName,
      roleArnSource,
      roleArn,
      roleArnProblem,
      audience,
      binding,
      requireBinding: this.requireBinding,
      facts,
      provider,
      role,
      serviceAccount,
      pods,
      ...(podOwners ? { podOwners } : {}),
      policies,
      exchange,
      cloudTrail,
      cloudTrailLookbackMinutes: this.lookbackMinutes,
    };
    const aborted = signal?.aborted === true;
    const checks = await runChecks(this.checks.checksFor('irsa'), evidence, {
      onCheck: options.onCheck,
      timeoutMs: this.checkTimeoutMs,
      logger: this.logger,
    });
    // An ARN the entity itself names may be shown; one read from a foreign
    // ServiceAccount only once the binding holds.
    const showRole = bound || roleArnSource === 'entity';
    const report: VerificationReport = {
      ...(request.entityRef ? { entityRef: request.entityRef } : {}),
      environment: this.service.mode,
      cluster: request.cluster,
      namespace,
      serviceAccount: name,
      ...(showRole && parsed
        ? { roleArn: parsed.arn, roleName: parsed.parts.roleName }
        : {}),
      accountId: cluster.accountId,
      region: cluster.region,
      ...(bound && roleInfo?.roleLastUsed
        ? { roleLastUsed: roleInfo.roleLastUsed }
        : {}),
      policies: bound && policies.ok ? policies.value : [],
      allowlist: [],
      checks,
      status: aborted ? 'unknown' : overallStatus(checks),
      ...(aborted ? { aborted: true } : {}),
      verifiedAt: new Date().toISOString(),
      durationMs: Date.now() - started,
      trigger: request.trigger,
    };
    const allowlist = checks.find(c => c.id === 'allowlist')?.evidence.entries;
    if (Array.isArray(allowlist))
      report.allowlist =
        allowlist as unknown as VerificationReport['allowlist'];
    this.logger.debug(
      `verified ${namespace}/${name} on ${request.cluster}: ${report.status}${aborted ? ' (cancelled)' : ''} in ${report.durationMs} ms`,
    );
    return report;
  }

  /** TokenRequest for the ServiceAccount, then the exchange, each with a deadline. */
  private async tokenExchange(
    target: AwsTarget,
    roleArn: string,
    request: VerifyRequest,
    audience: string,
    options: VerifyOptions,
  ): Promise<Source<AssumedIdentity | GatewayError>> {
    const { signal } = options;
    const waitMs = options.waitForPropagationMs ?? 0;
    const token = await read(
      'TokenRequest',
      this.checkTimeoutMs,
      () =>
        this.service.kubernetes.requestServiceAccountToken(
          request.cluster,
          request.namespace,
          request.serviceAccount,
          { audience, expirationSeconds: TOKEN_SECONDS },
        ),
      signal,
    );
    return chain(token, t =>
      read(
        'sts:AssumeRoleWithWebIdentity',
        this.checkTimeoutMs + waitMs,
        () => this.exchange(target, roleArn, t.token, request, waitMs, signal),
        signal,
      ),
    );
  }

  /** Managed (with default version documents) and inline policies of the role. */
  private async readPolicies(
    target: AwsTarget,
    roleName: string,
  ): Promise<AttachedPolicy[]> {
    const { iam } = this.service;
    const [attached, inlineNames] = await Promise.all([
      iam.listAttachedRolePolicies(target, roleName),
      iam.listRolePolicies(target, roleName),
    ]);
    const managed = Promise.all(
      attached.map(async ({ arn, name }): Promise<AttachedPolicy> => {
        const policy = await iam.getPolicy(target, arn);
        const document = await iam.getPolicyVersion(
          target,
          arn,
          policy.defaultVersionId,
        );
        return {
          kind: 'managed',
          name,
          arn,
          awsManaged: policy.awsManaged,
          versionId: policy.defaultVersionId,
          document,
          purpose: purposeOf(name, roleName),
        };
      }),
    );
    const inline = Promise.all(
      inlineNames.map(async (policyName): Promise<AttachedPolicy> => ({
        kind: 'inline',
        name: policyName,
        document: await iam.getRolePolicy(target, roleName, policyName),
        purpose: purposeOf(policyName, roleName),
      })),
    );
    return [...(await managed), ...(await inline)];
  }

  private lookupCloudTrail(
    target: AwsTarget,
    roleArn: string,
  ): Promise<CloudTrailEventInfo[]> {
    const key = `${target.accountId}/${target.region}/${roleArn}`;
    const cached = this.cloudTrailCache.get(key);
    if (cached && Date.now() - cached.at < this.cloudTrailCacheMs) {
      // Most recently used last.
      this.cloudTrailCache.delete(key);
      this.cloudTrailCache.set(key, cached);
      return cached.events;
    }
    const events = this.service.cloudTrail.lookupEvents(target, {
      attribute: { key: 'ResourceName', value: roleArn },
      startTime: new Date(Date.now() - this.lookbackMinutes * 60_000),
      maxEvents: 50,
    });
    if (this.cloudTrailCacheMs > 0) {
      this.cloudTrailCache.delete(key);
      this.cloudTrailCache.set(key, { at: Date.now(), events });
      // Bounded: the least recently used lookups go first.
      for (const oldest of this.cloudTrailCache.keys()) {
        if (this.cloudTrailCache.size <= this.cloudTrailMaxEntries) break;
        this.cloudTrailCache.delete(oldest);
      }
      // Never cache a failure.
      events.catch(() => {
        if (this.cloudTrailCache.get(key)?.events === events)
          this.cloudTrailCache.delete(key);
      });
    }
    return events;
  }

  /** Roles whose CloudTrail lookup is cached, least recently used first (for tests). */
  cachedCloudTrailRoles(): string[] {
    return [...this.cloudTrailCache.keys()];
  }

  /**
   * TokenRequest's token → AssumeRoleWithWebIdentity. The token and the
   * credentials stay in this call. Refusals are results (the check fails);
   * while IAM propagates a new role, refusals are retried until the deadline.
   */
  private async exchange(
    target: AwsTarget,
    roleArn: string,
    token: string,
    request: VerifyRequest,
    waitMs: number,
    signal?: AbortSignal,
  ): Promise<AssumedIdentity | GatewayError> {
    const sts: StsGateway = this.service.sts;
    const deadline = Date.now() + waitMs;
    for (let attempt = 1; ; attempt++) {
      if (signal?.aborted) throw new Error('cancelled');
      try {
        return await sts.assumeRoleWithWebIdentity(target, {
          roleArn,
          webIdentityToken: token,
          sessionName: `backstage-irsa-verify-${request.serviceAccount}`.slice(
            0,
            64,
          ),
        });
      } catch (error) {
        const refused =
          isGatewayError(error, 'access-denied') ||
          isGatewayError(error, 'invalid-token');
        if (!refused) throw error;
        if (Date.now() >= deadline || signal?.aborted)
          return error as GatewayError;
        this.logger.info(
          `role ${roleArn} not assumable yet (attempt ${attempt}); IAM may still be propagating`,
        );
        await sleep(Math.min(5000, 500 * attempt), undefined, { signal }).catch(
          () => undefined,
        );
      }
    }
  }
}

function purposeOf(
  policyName: string,
  roleName: string,
): AttachedPolicy['purpose'] {
  if (policyName === roleName) return 'permissions';
  if (policyName === `${roleName}-allowlist`) return 'allowlist';
  return 'other';
}
