import type { LoggerService } from '@backstage/backend-plugin-api';
import { InputError } from '@backstage/errors';
import {
  EKS_AUDIENCE_ANNOTATION,
  EKS_ROLE_ARN_ANNOTATION,
  STS_AUDIENCE,
  defaultRoleName,
  effectiveMechanism,
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
  OidcProviderInfo,
  PodInfo,
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
import {
  evaluateBinding,
  type BindingInput,
  type BindingResult,
} from './binding';
import { CheckRegistry, type IrsaCheckRegistry } from './CheckRegistry';
import { builtInChecks } from './checks';
import { irsaInjection } from './checks/pod-injection';
import { podIdentityInjection } from './checks/pod-identity-injection';
import { migrationProgress } from './checks/podWiring';
import {
  podIdentityExchange,
  readAgent,
  readAssociation,
  type PodIdentityScope,
} from './podIdentitySources';
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
  type PodIdentityAgent,
  type PodIdentityExchange,
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
 * Runs the checks of the workload's mechanism (decided live; both during a
 * migration), binding first. Nothing that shows the role or ServiceAccount
 * (policy documents, pods, CloudTrail) is read until the role and
 * ServiceAccount are proven the entity's, and nothing acts as the workload
 * (a token) until the whole binding, the Pod Identity association
 * included, holds. Sources are read with as few dependent round trips as
 * possible, each with a deadline; an unreadable source makes its checks
 * `unknown`.
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
  private readonly podIdentityExchangeEnabled: boolean;
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
    this.podIdentityExchangeEnabled =
      options.podIdentityExchange ?? defaults.podIdentityExchange;
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
    const scope: PodIdentityScope = {
      service: this.service,
      target,
      cluster: request.cluster,
      eksClusterName: cluster.eksClusterName,
      namespace,
      serviceAccount: name,
      timeoutMs: timeout,
      signal,
    };

    // Round 1: the cluster's facts, the ServiceAccount, its Pod Identity
    // association, and the role when the entity names it.
    const factsP: Promise<Source<ClusterFacts>> = options.facts
      ? Promise.resolve(known(options.facts))
      : read(
          'cluster facts',
          timeout,
          () => this.service.facts.get(request.cluster),
          signal,
        );
    const serviceAccountP = read(
      'ServiceAccount',
      timeout,
      () => kubernetes.getServiceAccount(request.cluster, namespace, name),
      signal,
    );
    const association = readAssociation(scope);
    // The role: the entity's ARN, else the association's, else the
    // ServiceAccount's, else the default name.
    const referenceP: Promise<RoleReference> =
      request.roleArn !== undefined
        ? Promise.resolve(roleReference(request.roleArn, 'entity', cluster))
        : Promise.all([serviceAccountP, association.listed]).then(
            async ([sa, listed]) => {
              if (listed.ok && listed.value) {
                const detail = await association.detail;
                if (detail.ok && detail.value)
                  return roleReference(
                    detail.value.roleArn,
                    'association',
                    cluster,
                  );
              }
              const annotated = sa.ok
                ? sa.value?.annotations[EKS_ROLE_ARN_ANNOTATION]
                : undefined;
              return annotated
                ? roleReference(annotated, 'service-account', cluster)
                : { source: 'none', lookupName: fallbackName };
            },
          );
    const roleP = referenceP.then(({ lookupName }) =>
      lookupName
        ? read(
            'iam:GetRole',
            timeout,
            () => orUndefinedIfMissing(iam.getRole(target, lookupName)),
            signal,
          )
        : known<RoleInfo | undefined>(undefined),
    );
    const [serviceAccount, listed, reference, role] = await Promise.all([
      serviceAccountP,
      association.listed,
      referenceP,
      roleP,
    ]);
    const account = serviceAccount.ok ? serviceAccount.value : undefined;
    const roleInfo = role.ok ? role.value : undefined;
    let parsed = reference.arn;
    let roleArnSource = reference.source;
    if (!parsed && !reference.problem && roleInfo) {
      parsed = {
        arn: roleInfo.arn,
        parts: parseRoleArn(roleInfo.arn, 'role ARN'),
      };
      roleArnSource = 'default-name';
    }
    const roleArn = parsed?.arn;

    // The mechanism new pods get, decided live; a migration runs both
    // mechanisms' checks (the old one's still matter for pods on it).
    const { mechanism, migratingFrom } = effectiveMechanism({
      declared: request.mechanism,
      serviceAccountAnnotations: account?.annotations,
      hasAssociation: listed.ok && listed.value !== undefined,
    });
    const mechanisms = migratingFrom ? [mechanism, migratingFrom] : [mechanism];
    const irsa = mechanisms.includes('irsa');
    const podIdentity = mechanisms.includes('pod-identity');
    const notThis = <T>(what: string) =>
      Promise.resolve(notRead<T>(`not read: not ${what}`));
    const providerP = irsa
      ? factsP.then(facts =>
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
        )
      : notThis<OidcProviderInfo | undefined>('an IRSA workload');
    const agentP = podIdentity
      ? readAgent(scope)
      : notThis<PodIdentityAgent>('a Pod Identity workload');

    // The binding of entity, ServiceAccount and role, from what was read so
    // far (no document, token or pod yet). Once it holds, the role's
    // documents and the pods are read while the association, when there is
    // one, completes the binding.
    const bindingInput: BindingInput = {
      entityRef: request.entityRef,
      cluster,
      namespace,
      serviceAccountName: name,
      roleArn: parsed,
      roleArnSource,
      roleArnProblem: reference.problem,
      defaultRoleName: fallbackName,
      role: roleInfo,
      serviceAccount: account,
    };
    const unreadable = [serviceAccount, role].find(x => !x.ok);
    const holds = (result: BindingResult) =>
      result.proven || !this.requireBinding;
    const roleBound = !unreadable && holds(evaluateBinding(bindingInput));
    const skip = <T>(): Promise<Source<T>> =>
      Promise.resolve(signal?.aborted ? cancelled<T>() : notRead<T>(NOT_BOUND));
    const podsP = roleBound
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
      : skip<PodInfo[]>();
    let policiesP = skip<AttachedPolicy[]>();
    let cloudTrailP = skip<CloudTrailEventInfo[]>();
    if (roleBound && roleInfo) {
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
    } else if (roleBound) {
      // No role: nothing attached, nothing logged.
      policiesP = Promise.resolve(known([]));
      cloudTrailP = Promise.resolve(known([]));
    }

    // An association that cannot be read leaves the binding to the role and
    // ServiceAccount; the checks that read it say why.
    const associations = await association.detail;
    let binding: Source<BindingResult>;
    if (unreadable && !unreadable.ok) {
      binding = unreadable.aborted ? cancelled() : notRead(unreadable.reason);
    } else {
      binding = known(
        evaluateBinding({
          ...bindingInput,
          association: associations.ok ? associations.value : undefined,
        }),
      );
    }
    const bound = binding.ok && holds(binding.value);
    const audience =
      account?.annotations[EKS_AUDIENCE_ANNOTATION] ?? STS_AUDIENCE;

    // What acts as the workload (a token) waits for the whole binding.
    let exchangeP = skip<AssumedIdentity | GatewayError>();
    let podIdentityExchangeP = skip<PodIdentityExchange>();
    if (bound && roleInfo) {
      if (!irsa) exchangeP = notThis('an IRSA workload');
      else if (account)
        exchangeP = this.tokenExchange(
          target,
          roleInfo.arn,
          request,
          audience,
          options,
        );
      else
        exchangeP = Promise.resolve(
          notRead(`ServiceAccount ${namespace}/${name} does not exist`),
        );
      if (!podIdentity)
        podIdentityExchangeP = notThis('a Pod Identity workload');
      else if (!this.podIdentityExchangeEnabled)
        podIdentityExchangeP = Promise.resolve(known({ kind: 'disabled' }));
      else
        podIdentityExchangeP = podsP.then(pods =>
          chain(pods, list =>
            podIdentityExchange(
              scope,
              list,
              token =>
                this.withPropagation(roleInfo.arn, options, () =>
                  this.service.eksAuth.assumeRoleForPodIdentity(
                    target,
                    cluster.eksClusterName,
                    token,
                  ),
                ),
              timeout + (options.waitForPropagationMs ?? 0),
            ),
          ),
        );
    } else if (bound) {
      exchangeP = Promise.resolve(notRead('the role does not exist'));
      podIdentityExchangeP = Promise.resolve(
        notRead('the role does not exist'),
      );
    }

    // One call for the owners of the pods a restart fixes, if any.
    const podOwnersP = podsP.then(pods => {
      if (!pods.ok) return undefined;
      const detail = associations.ok ? associations.value : undefined;
      const names = new Set<string>();
      if (irsa) {
        const found = irsaInjection(pods.value, roleArn, migratingFrom);
        [...found.stale, ...found.onOld].forEach(p => names.add(p.name));
      }
      if (podIdentity) {
        const found = podIdentityInjection(pods.value, detail, migratingFrom);
        [...found.stale, ...found.onOld].forEach(p => names.add(p.name));
      }
      if (!names.size) return undefined;
      return read(
        'pod owners',
        timeout,
        () =>
          kubernetes.resolvePodOwners(request.cluster, namespace, [...names]),
        signal,
      );
    });

    const [
      facts,
      provider,
      agent,
      pods,
      podOwners,
      policies,
      exchange,
      podIdentityExchangeOutcome,
      cloudTrail,
    ] = await Promise.all([
      factsP,
      providerP,
      agentP,
      podsP,
      podOwnersP,
      policiesP,
      exchangeP,
      podIdentityExchangeP,
      cloudTrailP,
    ]);
    const evidence: Evidence = {
      guardrails: this.guardrails,
      namespace,
      serviceAccountName: name,
      defaultRoleName: fallbackName,
      roleArnSource,
      roleArn,
      roleArnProblem: reference.problem,
      audience,
      eksClusterName: cluster.eksClusterName,
      mechanism,
      ...(migratingFrom ? { migratingFrom } : {}),
      binding,
      requireBinding: this.requireBinding,
      facts,
      provider,
      role,
      serviceAccount,
      associations,
      agent,
      pods,
      ...(podOwners ? { podOwners } : {}),
      policies,
      exchange,
      podIdentityExchange: podIdentityExchangeOutcome,
      cloudTrail,
      cloudTrailLookbackMinutes: this.lookbackMinutes,
    };
    const aborted = signal?.aborted === true;
    const checks = await runChecks(
      this.checks.checksFor(...mechanisms),
      evidence,
      {
        onCheck: options.onCheck,
        timeoutMs: this.checkTimeoutMs,
        logger: this.logger,
      },
    );
    // An ARN the entity itself names may be shown; one read from a foreign
    // ServiceAccount or association only once the binding holds.
    const showRole = bound || roleArnSource === 'entity';
    const shownAssociation =
      bound && associations.ok ? associations.value : undefined;
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
      mechanism,
      ...(migratingFrom && bound && pods.ok
        ? {
            migration: {
              from: migratingFrom,
              to: mechanism,
              ...migrationProgress(pods.value, migratingFrom),
            },
          }
        : {}),
      ...(shownAssociation
        ? { podIdentityAssociationId: shownAssociation.associationId }
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
      `verified ${namespace}/${name} on ${request.cluster} (${mechanism}): ${report.status}${aborted ? ' (cancelled)' : ''} in ${report.durationMs} ms`,
    );
    return report;
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

  /** TokenRequest for the ServiceAccount, then AssumeRoleWithWebIdentity, each with a deadline. */
  private async tokenExchange(
    target: AwsTarget,
    roleArn: string,
    request: VerifyRequest,
    audience: string,
    options: VerifyOptions,
  ): Promise<Source<AssumedIdentity | GatewayError>> {
    const { signal } = options;
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
    const sts: StsGateway = this.service.sts;
    return chain(token, t =>
      read(
        'sts:AssumeRoleWithWebIdentity',
        this.checkTimeoutMs + (options.waitForPropagationMs ?? 0),
        () =>
          this.withPropagation(roleArn, options, () =>
            sts.assumeRoleWithWebIdentity(target, {
              roleArn,
              webIdentityToken: t.token,
              sessionName:
                `backstage-irsa-verify-${request.serviceAccount}`.slice(0, 64),
            }),
          ),
        signal,
      ),
    );
  }

  /**
   * Runs an exchange (whose token and credentials stay in that call).
   * Refusals are results (the check fails); while IAM propagates a new
   * role, refusals are retried until `waitForPropagationMs` has passed.
   */
  private async withPropagation<T>(
    roleArn: string,
    options: VerifyOptions,
    exchange: () => Promise<T>,
  ): Promise<T | GatewayError> {
    const { signal } = options;
    const deadline = Date.now() + (options.waitForPropagationMs ?? 0);
    for (let attempt = 1; ; attempt++) {
      if (signal?.aborted) throw new Error('cancelled');
      try {
        return await exchange();
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

/** The role a verification looks at, and where its ARN came from. */
interface RoleReference {
  arn?: { arn: string; parts: RoleArnParts };
  source: RoleArnSource;
  /** Why the given ARN is not a role ARN (it is then not looked up). */
  problem?: string;
  /** The name GetRole looks up: only a role in the cluster's own account. */
  lookupName?: string;
}

function roleReference(
  given: string,
  source: RoleArnSource,
  cluster: { accountId: string; partition: string },
): RoleReference {
  let parts: RoleArnParts;
  try {
    parts = parseRoleArn(given, 'role ARN');
  } catch (error) {
    return {
      source,
      problem: (error as Error).message.replace(/^role ARN: /, ''),
    };
  }
  const inClusterAccount =
    parts.accountId === cluster.accountId &&
    parts.partition === cluster.partition;
  return {
    arn: { arn: given, parts },
    source,
    ...(inClusterAccount ? { lookupName: parts.roleName } : {}),
  };
}

function purposeOf(
  policyName: string,
  roleName: string,
): AttachedPolicy['purpose'] {
  if (policyName === roleName) return 'permissions';
  if (policyName === `${roleName}-allowlist`) return 'allowlist';
  return 'other';
}
