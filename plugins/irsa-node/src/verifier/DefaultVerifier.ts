import type { LoggerService } from '@backstage/backend-plugin-api';
import { InputError } from '@backstage/errors';
import {
  EKS_AUDIENCE_ANNOTATION,
  STS_AUDIENCE,
  defaultRoleName,
  effectiveMechanism,
  overallStatus,
  parseRoleArn,
  type AttachedPolicy,
  type GuardrailOptions,
  type VerificationReport,
} from '@backstage-irsa/plugin-irsa-common';
import type { GatewayError } from '../gateways/errors';
import type {
  AssumedIdentity,
  AwsTarget,
  CloudTrailEventInfo,
  OidcProviderInfo,
  PodInfo,
  RoleInfo,
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
import { migrationProgress } from './checks/podWiring';
import { restartCandidates } from './checks/restartCandidates';
import {
  podIdentityExchange,
  readAgent,
  readAssociation,
  type PodIdentityScope,
} from './podIdentitySources';
import { CloudTrailLookups } from './CloudTrailLookups';
import { webIdentityExchange, withPropagation } from './exchanges';
import { readPolicies, resolveRoleReference } from './roleSources';
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
  type Source,
} from './sources';

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
  private readonly guardrails?: GuardrailOptions;
  private readonly checks: IrsaCheckRegistry;
  private readonly podIdentityExchangeEnabled: boolean;
  private readonly cloudTrail: CloudTrailLookups;

  constructor(options: DefaultVerifierOptions) {
    const defaults = DEFAULT_VERIFIER_OPTIONS;
    this.service = options.service;
    this.logger = options.logger;
    this.checkTimeoutMs = options.checkTimeoutMs ?? defaults.checkTimeoutMs;
    this.requireBinding = options.requireBinding ?? defaults.requireBinding;
    this.lookbackMinutes =
      options.cloudTrail?.lookbackMinutes ??
      defaults.cloudTrail.lookbackMinutes;
    this.cloudTrail = new CloudTrailLookups(this.service.cloudTrail, {
      lookbackMinutes: this.lookbackMinutes,
      cacheMs:
        (options.cloudTrail?.cacheSeconds ?? defaults.cloudTrail.cacheSeconds) *
        1000,
      maxEntries:
        options.cloudTrail?.maxEntries ?? defaults.cloudTrail.maxEntries,
    });
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
    const referenceP = resolveRoleReference({
      given: request.roleArn,
      serviceAccount: serviceAccountP,
      association,
      cluster,
      defaultName: fallbackName,
    });
    const getRole = (roleName: string) =>
      read(
        'iam:GetRole',
        timeout,
        () => orUndefinedIfMissing(iam.getRole(target, roleName)),
        signal,
      );
    // Without an ARN on the entity, the role is most often the one
    // aws:irsa:create names by default: read it beside the first reads, so
    // an association or annotation naming it costs no further round trip.
    const byDefaultName =
      request.roleArn === undefined ? getRole(fallbackName) : undefined;
    const roleP = referenceP.then(({ lookupName }) => {
      if (!lookupName) return known<RoleInfo | undefined>(undefined);
      if (byDefaultName && lookupName === fallbackName) return byDefaultName;
      return getRole(lookupName);
    });
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
        () => readPolicies(iam, target, roleInfo.name),
        signal,
      );
      cloudTrailP = read(
        'cloudtrail:LookupEvents',
        timeout,
        () => this.cloudTrail.lookup(target, roleInfo.arn),
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
        exchangeP = webIdentityExchange(
          this.service,
          this.logger,
          {
            target,
            cluster: request.cluster,
            namespace,
            serviceAccount: name,
            roleArn: roleInfo.arn,
            audience,
            timeoutMs: timeout,
          },
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
      // EKS hands out the association's role: unread, it may be anyone's.
      else if (!associations.ok)
        podIdentityExchangeP = Promise.resolve(
          notRead('not run: the association could not be read'),
        );
      else
        podIdentityExchangeP = podsP.then(pods =>
          chain(pods, list =>
            podIdentityExchange(
              scope,
              list,
              token =>
                withPropagation(this.logger, roleInfo.arn, options, () =>
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
      const names = pods.ok
        ? restartCandidates(pods.value, {
            mechanisms,
            roleArn,
            association: associations.ok ? associations.value : undefined,
            migratingFrom,
          })
        : [];
      if (!names.length) return undefined;
      return read(
        'pod owners',
        timeout,
        () => kubernetes.resolvePodOwners(request.cluster, namespace, names),
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

  /** Roles whose CloudTrail lookup is cached, least recently used first (for tests). */
  cachedCloudTrailRoles(): string[] {
    return this.cloudTrail.cachedRoles();
  }
}
