import type { LoggerService } from '@backstage/backend-plugin-api';
import {
  EKS_ROLE_ARN_ANNOTATION,
  STS_AUDIENCE,
  overallStatus,
  type AttachedPolicy,
  type GuardrailOptions,
  type VerificationReport,
} from '@backstage-irsa/plugin-irsa-common';
import { setTimeout as sleep } from 'node:timers/promises';
import { GatewayError, isGatewayError } from '../gateways/errors';
import type {
  AssumedIdentity,
  AwsTarget,
  CloudTrailEventInfo,
  IamGateway,
} from '../gateways/types';
import type {
  IrsaService,
  Verifier,
  VerifyOptions,
  VerifyRequest,
} from '../service/types';
import { runChecks } from './checks';
import {
  chain,
  orUndefinedIfMissing,
  read,
  type Evidence,
  type Source,
} from './sources';

/** Token lifetime for the exchange: the TokenRequest minimum. */
const TOKEN_SECONDS = 600;

/**
 * Runs the eleven checks. Sources are read with as few dependent round trips
 * as possible (everything that only needs the request starts at once), each
 * with a deadline; an unreadable source makes its checks `unknown`.
 */
export class DefaultVerifier implements Verifier {
  private readonly service: IrsaService;
  private readonly logger: LoggerService;
  private readonly checkTimeoutMs: number;
  private readonly lookbackMinutes: number;
  private readonly cloudTrailCacheMs: number;
  private readonly guardrails?: GuardrailOptions;
  // One CloudTrail lookup per role per cache period, shared by every viewer.
  private readonly cloudTrailCache = new Map<
    string,
    { at: number; events: Promise<CloudTrailEventInfo[]> }
  >();

  constructor(options: {
    service: IrsaService;
    logger: LoggerService;
    checkTimeoutMs?: number;
    /** Default true: an unproven binding fails and hides the role's documents. */
    requireBinding?: boolean;
    cloudTrail?: {
      lookbackMinutes?: number;
      cacheSeconds?: number;
      maxEntries?: number;
    };
    /** The same guardrail settings the provisioner enforces. */
    guardrails?: GuardrailOptions;
  }) {
    this.service = options.service;
    this.logger = options.logger;
    this.checkTimeoutMs = options.checkTimeoutMs ?? 10_000;
    this.lookbackMinutes = options.cloudTrail?.lookbackMinutes ?? 60;
    this.cloudTrailCacheMs = (options.cloudTrail?.cacheSeconds ?? 300) * 1000;
    this.guardrails = options.guardrails;
  }

  async verify(
    request: VerifyRequest,
    options: VerifyOptions = {},
  ): Promise<VerificationReport> {
    const started = Date.now();
    const cluster = this.service.clusters.get(request.cluster);
    const target: AwsTarget = {
      accountId: cluster.accountId,
      region: cluster.region,
    };
    const { iam, kubernetes } = this.service;
    const timeout = this.checkTimeoutMs;
    const { namespace, serviceAccount: name } = request;

    // Round 1: everything that needs only the request.
    const factsP = options.facts
      ? Promise.resolve<Source<typeof options.facts>>({
          ok: true,
          value: options.facts,
          ms: 0,
        })
      : read('cluster facts', timeout, () =>
          this.service.facts.get(request.cluster),
        );
    const accountP = read('ServiceAccount', timeout, () =>
      kubernetes.getServiceAccount(request.cluster, namespace, name),
    );
    const podsP = read('pods', timeout, () =>
      kubernetes.listPodsForServiceAccount(request.cluster, namespace, name),
    );
    const tokenP = read('TokenRequest', timeout, () =>
      orUndefinedIfMissing(
        kubernetes.requestServiceAccountToken(
          request.cluster,
          namespace,
          name,
          {
            audience: STS_AUDIENCE,
            expirationSeconds: TOKEN_SECONDS,
          },
        ),
      ),
    );
    // The role ARN: from the entity, else from the ServiceAccount (one more round).
    const account = request.roleArn ? undefined : await accountP;
    const annotated = account?.ok
      ? account.value?.annotations[EKS_ROLE_ARN_ANNOTATION]
      : undefined;
    const roleArn = request.roleArn ?? annotated;
    const roleName = roleArn?.split('/').pop();

    const none = <T>(v: T): Source<T> => ({ ok: true, value: v, ms: 0 });
    const roleP = roleName
      ? read('iam:GetRole', timeout, () =>
          orUndefinedIfMissing(iam.getRole(target, roleName)),
        )
      : Promise.resolve(none(undefined));
    const policiesP = roleName
      ? read('role policies', timeout, () =>
          this.readPolicies(target, roleName).catch(e =>
            isGatewayError(e, 'not-found') ? [] : Promise.reject(e),
          ),
        )
      : Promise.resolve(none<AttachedPolicy[]>([]));
    const cloudTrailP = roleArn
      ? read('cloudtrail:LookupEvents', timeout, () =>
          this.lookupCloudTrail(target, roleArn),
        )
      : Promise.resolve(none<CloudTrailEventInfo[]>([]));
    const providerP = factsP.then(facts =>
      chain(facts, f =>
        read('iam:GetOpenIDConnectProvider', timeout, () =>
          orUndefinedIfMissing(iam.getOidcProvider(target, f.oidcProviderArn)),
        ),
      ),
    );
    // Round 2: the exchange, as soon as the token is there.
    const exchangeP = tokenP.then(token =>
      chain(token, t =>
        t && roleArn
          ? read(
              'sts:AssumeRoleWithWebIdentity',
              timeout + (options.waitForPropagationMs ?? 0),
              () =>
                this.exchange(
                  target,
                  roleArn,
                  t.token,
                  request,
                  options.waitForPropagationMs ?? 0,
                ),
            )
          : Promise.resolve<Source<AssumedIdentity | GatewayError>>({
              ok: false,
              reason: t
                ? 'no role ARN to exchange the token for'
                : `ServiceAccount ${namespace}/${name} does not exist`,
              ms: 0,
            }),
      ),
    );

    const [
      facts,
      provider,
      role,
      serviceAccount,
      pods,
      policies,
      exchange,
      cloudTrail,
    ] = await Promise.all([
      factsP,
      providerP,
      roleP,
      account ?? accountP,
      podsP,
      policiesP,
      exchangeP,
      cloudTrailP,
    ]);
    const evidence: Evidence = {
      guardrails: this.guardrails,
      namespace,
      serviceAccountName: name,
      roleArnSource: roleArnSource(request.roleArn, annotated),
      roleArn,
      facts,
      provider,
      role,
      serviceAccount,
      pods,
      policies,
      exchange,
      cloudTrail,
      cloudTrailLookbackMinutes: this.lookbackMinutes,
    };
    const checks = runChecks(evidence, options.onCheck);
    const roleInfo = role.ok ? role.value : undefined;
    const report: VerificationReport = {
      ...(request.entityRef ? { entityRef: request.entityRef } : {}),
      cluster: request.cluster,
      namespace,
      serviceAccount: name,
      roleArn,
      roleName,
      accountId: cluster.accountId,
      region: cluster.region,
      ...(roleInfo?.roleLastUsed
        ? { roleLastUsed: roleInfo.roleLastUsed }
        : {}),
      policies: policies.ok ? policies.value : [],
      allowlist: [],
      checks,
      status: overallStatus(checks),
      verifiedAt: new Date().toISOString(),
      durationMs: Date.now() - started,
      trigger: request.trigger,
    };
    const allowlist = checks.find(c => c.id === 'allowlist')?.evidence.entries;
    if (Array.isArray(allowlist))
      report.allowlist =
        allowlist as unknown as VerificationReport['allowlist'];
    this.logger.debug(
      `verified ${namespace}/${name} on ${request.cluster}: ${report.status} in ${report.durationMs} ms`,
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
    if (cached && Date.now() - cached.at < this.cloudTrailCacheMs)
      return cached.events;
    const events = this.service.iam.lookupEvents(target, {
      attribute: { key: 'ResourceName', value: roleArn },
      startTime: new Date(Date.now() - this.lookbackMinutes * 60_000),
      maxEvents: 50,
    });
    this.cloudTrailCache.set(key, { at: Date.now(), events });
    events.catch(() => this.cloudTrailCache.delete(key)); // never cache a failure
    return events;
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
  ): Promise<AssumedIdentity | GatewayError> {
    const iam: IamGateway = this.service.iam;
    const deadline = Date.now() + waitMs;
    for (let attempt = 1; ; attempt++) {
      try {
        return await iam.assumeRoleWithWebIdentity(target, {
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
        if (Date.now() >= deadline) return error as GatewayError;
        this.logger.info(
          `role ${roleArn} not assumable yet (attempt ${attempt}); IAM may still be propagating`,
        );
        await sleep(Math.min(5000, 500 * attempt));
      }
    }
  }
}

function roleArnSource(
  fromEntity?: string,
  fromServiceAccount?: string,
): Evidence['roleArnSource'] {
  if (fromEntity) return 'entity';
  return fromServiceAccount ? 'service-account' : 'none';
}

function purposeOf(
  policyName: string,
  roleName: string,
): AttachedPolicy['purpose'] {
  if (policyName === roleName) return 'permissions';
  if (policyName === `${roleName}-allowlist`) return 'allowlist';
  return 'other';
}
