import type { PolicyDocument } from '@backstage-irsa/plugin-irsa-common';

/*
 * The gateway layer: the only code in the project that talks to AWS or
 * Kubernetes. The real implementations use @aws-sdk v3 and
 * @kubernetes/client-node; the sandbox implements the same interfaces in
 * memory. Callers see plain data and the typed errors in ./errors.ts, never
 * SDK classes.
 */

/** Where an AWS call goes. */
export interface AwsTarget {
  accountId: string;
  region: string;
}

/** A role this project manages, as the fleet's orphan search lists it. */
export interface ManagedRoleSummary {
  arn: string;
  name: string;
  path: string;
  tags: Record<string, string>;
}

/** A role as IAM stores it, trust policy decoded. */
export interface RoleInfo {
  arn: string;
  name: string;
  path: string;
  roleId: string;
  trustPolicy: PolicyDocument;
  tags: Record<string, string>;
  /** ISO 8601 */
  createDate: string;
  maxSessionDuration: number;
  description?: string;
  permissionsBoundaryArn?: string;
  roleLastUsed?: { lastUsedDate?: string; region?: string };
}

/** Input for CreateRole. */
export interface CreateRoleInput {
  name: string;
  path: string;
  trustPolicy: PolicyDocument;
  description?: string;
  maxSessionDuration?: number;
  permissionsBoundaryArn?: string;
  tags: Record<string, string>;
}

/** A customer- or AWS-managed policy. */
export interface ManagedPolicyInfo {
  arn: string;
  name: string;
  path: string;
  defaultVersionId: string;
  /** `arn:<partition>:iam::aws:policy/...` */
  awsManaged: boolean;
  attachmentCount: number;
  tags: Record<string, string>;
}

/** Input for CreatePolicy. */
export interface CreatePolicyInput {
  name: string;
  path: string;
  document: PolicyDocument;
  description?: string;
  tags: Record<string, string>;
}

/** One version of a managed policy. */
export interface PolicyVersionInfo {
  versionId: string;
  isDefault: boolean;
  /** ISO 8601 */
  createDate: string;
}

/** A managed policy attached to a role. */
export interface AttachedPolicyRef {
  arn: string;
  name: string;
}

/** An IAM OIDC identity provider. */
export interface OidcProviderInfo {
  arn: string;
  /** Issuer host/path without `https://`, as IAM returns it. */
  url: string;
  clientIds: string[];
  thumbprints: string[];
}

/** Live IAM quotas and usage from GetAccountSummary. */
export interface AccountQuotas {
  /** Trust policy max characters (AssumeRolePolicySizeMax). */
  assumeRolePolicySizeMax: number;
  /** Managed policy max characters (PolicySizeQuota). */
  policySizeQuota: number;
  /** Inline policies' aggregate per role (RolePolicySizeQuota). */
  rolePolicySizeQuota: number;
  /** Managed policies attachable to one role (AttachedPoliciesPerRoleQuota). */
  attachedPoliciesPerRoleQuota: number;
  roles: number;
  rolesQuota: number;
  policies: number;
  policiesQuota: number;
}

/**
 * What AssumeRoleWithWebIdentity proved. The returned credentials are dropped
 * inside the gateway: they are never handed to callers, logged or stored.
 */
export interface AssumedIdentity {
  assumedRoleArn: string;
  assumedRoleId: string;
  subjectFromWebIdentityToken?: string;
  audience?: string;
  provider?: string;
  /** ISO 8601: when the (discarded) credentials would have expired. */
  expiration?: string;
}

/** An EKS cluster as DescribeCluster returns it. */
export interface ClusterDescription {
  name: string;
  arn: string;
  status: string;
  endpoint?: string;
  /** `https://oidc.eks.REGION.amazonaws.com/id/ID` */
  issuerUrl?: string;
  vpcId?: string;
  subnetIds: string[];
}

/** An EC2 subnet. */
export interface SubnetInfo {
  id: string;
  vpcId: string;
  cidrBlock?: string;
  ipv6CidrBlocks: string[];
  availabilityZone?: string;
  tags: Record<string, string>;
}

/** A NAT gateway and its public addresses. */
export interface NatGatewayInfo {
  id: string;
  vpcId: string;
  subnetId: string;
  state: string;
  publicIps: string[];
}

/** A route table: which subnets use it, which NAT gateways it routes to. */
export interface RouteTableInfo {
  id: string;
  vpcId: string;
  main: boolean;
  subnetIds: string[];
  natGatewayIds: string[];
}

/** A VPC endpoint. */
export interface VpcEndpointInfo {
  id: string;
  vpcId: string;
  serviceName: string;
  type: 'Interface' | 'Gateway' | 'GatewayLoadBalancer' | string;
  state?: string;
}

/** A CloudTrail management event. */
export interface CloudTrailEventInfo {
  eventId: string;
  eventName: string;
  eventSource: string;
  /** ISO 8601 */
  eventTime: string;
  username?: string;
  errorCode?: string;
  errorMessage?: string;
  sourceIp?: string;
  /** The event's `Resources[].ResourceName` (how a batched lookup finds a role's events). */
  resources?: string[];
}

/** Filters for CloudTrail LookupEvents (one lookup attribute per request). */
export interface LookupEventsInput {
  /** None: every management event of the account and region in the window. */
  attribute?: {
    key: 'ResourceName' | 'Username' | 'EventName' | 'AccessKeyId';
    value: string;
  };
  startTime: Date;
  endTime?: Date;
  /** Upper bound over all pages. */
  maxEvents: number;
}

/*
 * AWS, one interface per API. Every method throws the typed errors of
 * ./errors.ts and nothing else. The real implementations send only the
 * actions the README's IAM policy for Backstage's identity lists.
 */

/** IAM: roles, managed policies, inline policy reads, the OIDC provider, quotas. */
export interface IamGateway {
  getOidcProvider(target: AwsTarget, arn: string): Promise<OidcProviderInfo>;

  /**
   * Every role under the path prefix tagged `irsa.dev/managed-by:
   * backstage-irsa`, with all its tags (ListRoles, then ListRoleTags per
   * role, as ListRoles leaves tags out).
   */
  listManagedRoles(
    target: AwsTarget,
    pathPrefix: string,
  ): Promise<ManagedRoleSummary[]>;

  // Roles
  getRole(target: AwsTarget, roleName: string): Promise<RoleInfo>;
  createRole(target: AwsTarget, input: CreateRoleInput): Promise<RoleInfo>;
  updateTrustPolicy(
    target: AwsTarget,
    roleName: string,
    trustPolicy: PolicyDocument,
  ): Promise<void>;
  tagRole(
    target: AwsTarget,
    roleName: string,
    tags: Record<string, string>,
  ): Promise<void>;
  /** Removes these tag keys from the role. */
  untagRole(target: AwsTarget, roleName: string, keys: string[]): Promise<void>;
  deleteRole(target: AwsTarget, roleName: string): Promise<void>;
  /** Resolves once GetRole sees the role (IAM is eventually consistent). */
  waitUntilRoleExists(
    target: AwsTarget,
    roleName: string,
    timeoutMs: number,
  ): Promise<void>;

  // Managed policies
  createPolicy(
    target: AwsTarget,
    input: CreatePolicyInput,
  ): Promise<ManagedPolicyInfo>;
  getPolicy(target: AwsTarget, policyArn: string): Promise<ManagedPolicyInfo>;
  /** Adds or overwrites tags on a customer-managed policy. */
  tagPolicy(
    target: AwsTarget,
    policyArn: string,
    tags: Record<string, string>,
  ): Promise<void>;
  /** Removes these tag keys from a customer-managed policy. */
  untagPolicy(
    target: AwsTarget,
    policyArn: string,
    keys: string[],
  ): Promise<void>;
  getPolicyVersion(
    target: AwsTarget,
    policyArn: string,
    versionId: string,
  ): Promise<PolicyDocument>;
  listPolicyVersions(
    target: AwsTarget,
    policyArn: string,
  ): Promise<PolicyVersionInfo[]>;
  /**
   * Creates a new default version. At the 5-version limit the oldest
   * non-default version is deleted first. Returns the new version id.
   */
  createPolicyVersion(
    target: AwsTarget,
    policyArn: string,
    document: PolicyDocument,
  ): Promise<string>;
  /** Deletes the non-default versions, then the policy. */
  deletePolicy(target: AwsTarget, policyArn: string): Promise<void>;
  listAttachedRolePolicies(
    target: AwsTarget,
    roleName: string,
  ): Promise<AttachedPolicyRef[]>;
  attachRolePolicy(
    target: AwsTarget,
    roleName: string,
    policyArn: string,
  ): Promise<void>;
  detachRolePolicy(
    target: AwsTarget,
    roleName: string,
    policyArn: string,
  ): Promise<void>;

  // Inline policies: read only (IRSA for Backstage never writes them).
  listRolePolicies(target: AwsTarget, roleName: string): Promise<string[]>;
  getRolePolicy(
    target: AwsTarget,
    roleName: string,
    policyName: string,
  ): Promise<PolicyDocument>;

  getAccountQuotas(target: AwsTarget): Promise<AccountQuotas>;

  /**
   * GetAccountAuthorizationDetails (filter Role, LocalManagedPolicy,
   * AWSManagedPolicy), all pages: the whole account in a few calls, for
   * fleet runs.
   */
  getAccountAuthorizationDetails(
    target: AwsTarget,
    options?: { signal?: AbortSignal },
  ): Promise<AccountAuthorizationDetails>;
}

/** A role as GetAccountAuthorizationDetails returns it. */
export interface RoleDetail extends Omit<
  RoleInfo,
  'maxSessionDuration' | 'description'
> {
  attachedPolicies: AttachedPolicyRef[];
  inlinePolicies: Array<{ name: string; document: PolicyDocument }>;
}

/** A managed policy as GetAccountAuthorizationDetails returns it. */
export interface ManagedPolicyDetail extends ManagedPolicyInfo {
  /** The default version's document. */
  defaultDocument: PolicyDocument;
}

/** An account's roles and managed policies, from GetAccountAuthorizationDetails. */
export interface AccountAuthorizationDetails {
  roles: RoleDetail[];
  policies: ManagedPolicyDetail[];
}

/** Input of AssumeRoleWithWebIdentity. */
export interface AssumeRoleWithWebIdentityInput {
  roleArn: string;
  webIdentityToken: string;
  sessionName: string;
}

/** STS: unsigned, the web identity token is the only credential. */
export interface StsGateway {
  assumeRoleWithWebIdentity(
    target: AwsTarget,
    input: AssumeRoleWithWebIdentityInput,
  ): Promise<AssumedIdentity>;
}

/** An EKS Pod Identity association as ListPodIdentityAssociations lists it (no role). */
export interface PodIdentityAssociationSummary {
  associationId: string;
  associationArn: string;
  clusterName: string;
  namespace: string;
  serviceAccount: string;
  /** Set when an EKS add-on owns the association. */
  ownerArn?: string;
}

/** An EKS Pod Identity association as DescribePodIdentityAssociation returns it. */
export interface PodIdentityAssociationInfo extends PodIdentityAssociationSummary {
  /** The role the agent assumes (in the cluster's account). */
  roleArn: string;
  /** Cross-account: the role EKS chains into from `roleArn`. */
  targetRoleArn?: string;
  /** The external id EKS passes to `targetRoleArn`'s trust (EKS generates it). */
  externalId?: string;
  disableSessionTags: boolean;
  tags: Record<string, string>;
  /** ISO 8601 */
  createdAt?: string;
  /** ISO 8601 */
  modifiedAt?: string;
}

/** Input of CreatePodIdentityAssociation. */
export interface CreatePodIdentityAssociationInput {
  clusterName: string;
  namespace: string;
  serviceAccount: string;
  roleArn: string;
  targetRoleArn?: string;
  disableSessionTags?: boolean;
  tags: Record<string, string>;
}

/** Input of UpdatePodIdentityAssociation: only the fields given change. */
export interface UpdatePodIdentityAssociationInput {
  roleArn?: string;
  /** An empty string removes the target role. */
  targetRoleArn?: string;
  disableSessionTags?: boolean;
}

/** An EKS add-on as DescribeAddon returns it. */
export interface AddonInfo {
  name: string;
  /** `ACTIVE`, `CREATING`, `DEGRADED`, ... */
  status: string;
  version?: string;
}

/** EKS: the cluster's issuer and network, add-ons, Pod Identity associations. */
export interface EksGateway {
  describeCluster(
    target: AwsTarget,
    clusterName: string,
  ): Promise<ClusterDescription>;
  /** DescribeAddon; `not-found` when the add-on is not installed. */
  describeAddon(
    target: AwsTarget,
    clusterName: string,
    addonName: string,
  ): Promise<AddonInfo>;
  /** ListPodIdentityAssociations, all pages, filtered when given. */
  listPodIdentityAssociations(
    target: AwsTarget,
    clusterName: string,
    filter?: { namespace?: string; serviceAccount?: string },
  ): Promise<PodIdentityAssociationSummary[]>;
  describePodIdentityAssociation(
    target: AwsTarget,
    clusterName: string,
    associationId: string,
  ): Promise<PodIdentityAssociationInfo>;
  createPodIdentityAssociation(
    target: AwsTarget,
    input: CreatePodIdentityAssociationInput,
  ): Promise<PodIdentityAssociationInfo>;
  updatePodIdentityAssociation(
    target: AwsTarget,
    clusterName: string,
    associationId: string,
    input: UpdatePodIdentityAssociationInput,
  ): Promise<PodIdentityAssociationInfo>;
  deletePodIdentityAssociation(
    target: AwsTarget,
    clusterName: string,
    associationId: string,
  ): Promise<void>;
  /**
   * TagResource: adds or overwrites these tags on an EKS resource (an
   * association by its `associationArn`); `not-found` when there is none.
   */
  tagResource(
    target: AwsTarget,
    resourceArn: string,
    tags: Record<string, string>,
  ): Promise<void>;
  /** UntagResource: removes these tag keys from an EKS resource; `not-found` when there is none. */
  untagResource(
    target: AwsTarget,
    resourceArn: string,
    keys: string[],
  ): Promise<void>;
}

/**
 * What eks-auth:AssumeRoleForPodIdentity proved. The credentials are dropped
 * inside the gateway, like {@link AssumedIdentity}'s.
 */
export interface PodIdentityExchangeResult {
  assumedRoleArn: string;
  associationId?: string;
  subject?: { namespace?: string; serviceAccount?: string };
  audience?: string;
  /** ISO 8601 */
  expiration?: string;
}

/** The EKS Auth API (what the Pod Identity agent calls), for the live Pod Identity exchange. */
export interface EksAuthGateway {
  assumeRoleForPodIdentity(
    target: AwsTarget,
    clusterName: string,
    token: string,
  ): Promise<PodIdentityExchangeResult>;
}

/** Which subnets DescribeSubnets returns (all given filters apply). */
export interface SubnetFilter {
  subnetIds?: string[];
  vpcId?: string;
  tagKey?: string;
}

/** EC2 network facts of a cluster's VPC: subnets, egress, endpoints (all pages). */
export interface NetworkGateway {
  describeSubnets(
    target: AwsTarget,
    filter: SubnetFilter,
  ): Promise<SubnetInfo[]>;
  describeNatGateways(
    target: AwsTarget,
    filter: { vpcId: string },
  ): Promise<NatGatewayInfo[]>;
  describeRouteTables(
    target: AwsTarget,
    filter: { vpcId: string },
  ): Promise<RouteTableInfo[]>;
  describeVpcEndpoints(
    target: AwsTarget,
    filter: { vpcId: string },
  ): Promise<VpcEndpointInfo[]>;
}

/** CloudTrail management events (at most 2 requests per second per account and region). */
export interface CloudTrailGateway {
  lookupEvents(
    target: AwsTarget,
    input: LookupEventsInput,
  ): Promise<CloudTrailEventInfo[]>;
}

/** Input of ValidatePolicy. */
export interface ValidatePolicyInput {
  document: PolicyDocument;
  policyType: 'IDENTITY_POLICY' | 'RESOURCE_POLICY';
}

/** IAM Access Analyzer's policy checks. */
export interface PolicyValidationGateway {
  /** ValidatePolicy: every finding, all pages. */
  validatePolicy(
    target: AwsTarget,
    input: ValidatePolicyInput,
  ): Promise<PolicyFinding[]>;
}

/** Every AWS gateway, by the name the service and the sandbox give it. */
export interface AwsGateways {
  readonly iam: IamGateway;
  readonly sts: StsGateway;
  readonly eks: EksGateway;
  readonly eksAuth: EksAuthGateway;
  readonly network: NetworkGateway;
  readonly cloudTrail: CloudTrailGateway;
  readonly policyValidation: PolicyValidationGateway;
}

/** One IAM Access Analyzer ValidatePolicy finding. */
export interface PolicyFinding {
  findingType: 'ERROR' | 'SECURITY_WARNING' | 'SUGGESTION' | 'WARNING';
  /** For example `PASS_ROLE_WITH_STAR_IN_RESOURCE`. */
  issueCode: string;
  details: string;
  /** Where in the document, e.g. `Statement[0].Action[1]`. */
  locations: string[];
}

/** A ServiceAccount, reduced to what IRSA needs. */
export interface ServiceAccountInfo {
  namespace: string;
  name: string;
  uid: string;
  resourceVersion: string;
  /** ISO 8601 */
  creationTimestamp: string;
  annotations: Record<string, string>;
  labels: Record<string, string>;
}

/** One container's view of the injected IRSA or Pod Identity wiring. */
export interface ContainerInfo {
  name: string;
  /**
   * Literal env values; `valueFrom` entries appear with value undefined. A
   * literal `AWS_SECRET_ACCESS_KEY` or `AWS_SESSION_TOKEN` reads `[redacted]`:
   * its presence matters, its value never leaves the gateway.
   */
  env: Record<string, string | undefined>;
  /** Env variable names whose value comes from a Secret (`valueFrom.secretKeyRef`). */
  secretEnv: string[];
  /** Secrets whose every key becomes an env variable (`envFrom[].secretRef`). */
  envFromSecrets: string[];
  /** Mount paths of the container's volume mounts. */
  volumeMountPaths: string[];
  /** Mounts of Secret volumes (including projected volumes with a Secret source). */
  secretMounts: Array<{ path: string; secretName: string }>;
}

/** A projected serviceAccountToken source of a pod. */
export interface ProjectedServiceAccountToken {
  volumeName: string;
  audience?: string;
  /** The token file's path inside the volume, for example `token`. */
  path: string;
  /** Where the first container that mounts the volume mounts it. */
  mountPath?: string;
}

/** A pod of the ServiceAccount, reduced to what the pod-injection check needs. */
export interface PodInfo {
  namespace: string;
  name: string;
  uid: string;
  phase: string;
  /** ISO 8601 */
  creationTimestamp: string;
  serviceAccountName: string;
  annotations: Record<string, string>;
  containers: ContainerInfo[];
  /** The projected serviceAccountToken volume the webhook adds, if any. */
  projectedToken?: ProjectedServiceAccountToken;
  /** Every projected serviceAccountToken source (IRSA's and Pod Identity's). */
  projectedTokens: ProjectedServiceAccountToken[];
  labels: Record<string, string>;
  nodeName?: string;
  /** Scheduled on Fargate (`eks.amazonaws.com/fargate-profile` label or the fargate scheduler). */
  fargate: boolean;
  /** `spec.os.name`, else the `kubernetes.io/os` node selector; absent when unspecified. */
  os?: string;
}

/** A DaemonSet's rollout, for the self-managed Pod Identity agent. */
export interface DaemonSetInfo {
  namespace: string;
  name: string;
  desiredNumberScheduled: number;
  numberReady: number;
  /** The first container's image. */
  image?: string;
}

/** A token from the TokenRequest API. Callers keep it in memory for one call only. */
export interface ServiceAccountToken {
  token: string;
  /** ISO 8601 */
  expirationTimestamp: string;
}

/** One question to the API server: may Backstage's own identity do this? */
export interface AccessCheck {
  /** `get`, `create`, `patch`, ... */
  verb: string;
  /** Plural resource name, for example `serviceaccounts`. */
  resource: string;
  /** For example `token` (with resource `serviceaccounts`). */
  subresource?: string;
  namespace: string;
  /** API group; the core group (`""`) when absent. */
  group?: string;
}

/** The API server's answer to one {@link AccessCheck}. */
export interface AccessReviewResult {
  verb: string;
  resource: string;
  subresource?: string;
  namespace: string;
  group?: string;
  allowed: boolean;
  /** The authorizer's explanation or evaluation error, when it gave one (RBAC gives none on denial). */
  reason?: string;
}

/**
 * A JSON merge patch of a ServiceAccount's metadata: only the keys named here
 * change, a null value removes the key.
 */
export interface ServiceAccountMetadataPatch {
  annotations?: Record<string, string | null>;
  labels?: Record<string, string | null>;
}

/**
 * A workload that owns pods: a Deployment, StatefulSet or DaemonSet (the
 * kinds `kubectl rollout restart` restarts), or whatever else controls a
 * pod (a Job, a ReplicaSet without a Deployment, an operator's own kind).
 */
export interface WorkloadRef {
  kind:
    'Deployment' | 'StatefulSet' | 'DaemonSet' | 'ReplicaSet' | 'Job' | string;
  name: string;
}

/** One pod and the workload that owns it. */
export interface PodOwner {
  pod: string;
  /** False when the pod no longer exists (then there is no owner or ServiceAccount). */
  found: boolean;
  /** The pod's `spec.serviceAccountName`. */
  serviceAccountName?: string;
  /**
   * The pod's controller, followed through its ReplicaSet to the Deployment;
   * absent for a bare pod.
   */
  owner?: WorkloadRef;
}

/** What {@link ClusterGateway.createServiceAccount} creates. */
export interface CreateServiceAccountInput {
  namespace: string;
  name: string;
  annotations: Record<string, string>;
  labels?: Record<string, string>;
}

/** The TokenRequest {@link ClusterGateway.requestServiceAccountToken} sends. */
export interface ServiceAccountTokenRequest {
  /** `sts.amazonaws.com` when absent; never empty. */
  audience?: string;
  expirationSeconds: number;
  /** Bind the token to this pod (`boundObjectRef`), as the kubelet does for projected tokens. */
  boundPod?: { name: string; uid: string };
  signal?: AbortSignal;
}

/**
 * Kubernetes access per configured cluster (names from `irsa.clusters[]`).
 * Every method throws the typed errors of ./errors.ts, with short messages
 * (never response bodies or tokens); a call that outlives the configured
 * timeout fails as `unavailable` with code `Timeout`.
 */
export interface ClusterGateway {
  /**
   * Asks the API server, with one SelfSubjectAccessReview per check (in
   * parallel), whether Backstage's own identity may do each thing. Results
   * come back in the order of `checks`. Nothing is written.
   */
  reviewAccess(
    cluster: string,
    checks: AccessCheck[],
    options?: { signal?: AbortSignal },
  ): Promise<AccessReviewResult[]>;
  /** Undefined when the ServiceAccount does not exist. */
  getServiceAccount(
    cluster: string,
    namespace: string,
    name: string,
  ): Promise<ServiceAccountInfo | undefined>;
  /** Creates the ServiceAccount with these annotations and labels; `already-exists` when it exists. */
  createServiceAccount(
    cluster: string,
    input: CreateServiceAccountInput,
  ): Promise<ServiceAccountInfo>;
  /**
   * Merge-patches only `metadata.annotations` and `metadata.labels` (null
   * removes a key); never touches other keys, the spec or secrets. The patch
   * carries a resourceVersion so a concurrent writer is never overwritten.
   * Without `expectedResourceVersion` the ServiceAccount is read first and a
   * conflict is retried on a fresh read; with it, the patch applies only to
   * that version and a change by someone else since is thrown as `conflict`
   * (not retried). An empty patch is `invalid-input`.
   */
  patchServiceAccountMetadata(
    cluster: string,
    namespace: string,
    name: string,
    patch: ServiceAccountMetadataPatch,
    options?: { expectedResourceVersion?: string },
  ): Promise<ServiceAccountInfo>;
  /**
   * `patchServiceAccountMetadata(cluster, namespace, name, { annotations })`:
   * only annotations, conflicts retried.
   */
  patchServiceAccountAnnotations(
    cluster: string,
    namespace: string,
    name: string,
    annotations: Record<string, string | null>,
  ): Promise<ServiceAccountInfo>;
  /**
   * Deletes the ServiceAccount only while it is still at
   * `expectedResourceVersion` (a DELETE with a precondition): a change by
   * someone else since is thrown as `conflict`, a ServiceAccount already gone
   * as `not-found`.
   */
  deleteServiceAccount(
    cluster: string,
    namespace: string,
    name: string,
    options: { expectedResourceVersion: string },
  ): Promise<void>;
  /** Every ServiceAccount of the namespace (all pages): fleet runs read a namespace at once. */
  listServiceAccounts(
    cluster: string,
    namespace: string,
    options?: { signal?: AbortSignal },
  ): Promise<ServiceAccountInfo[]>;
  /** Every pod of the namespace (all pages). */
  listPods(
    cluster: string,
    namespace: string,
    options?: { signal?: AbortSignal },
  ): Promise<PodInfo[]>;
  /** Undefined when the DaemonSet does not exist. */
  getDaemonSet(
    cluster: string,
    namespace: string,
    name: string,
  ): Promise<DaemonSetInfo | undefined>;
  /** Pods whose `spec.serviceAccountName` is the ServiceAccount (all pages). */
  listPodsForServiceAccount(
    cluster: string,
    namespace: string,
    serviceAccount: string,
    options?: { signal?: AbortSignal },
  ): Promise<PodInfo[]>;
  /**
   * TokenRequest (`serviceaccounts/NAME/token`) for `audience`
   * (`sts.amazonaws.com` when none is given).
   */
  requestServiceAccountToken(
    cluster: string,
    namespace: string,
    serviceAccount: string,
    options: ServiceAccountTokenRequest,
  ): Promise<ServiceAccountToken>;
  /**
   * The workload that owns each named pod, in the order given: the pod's
   * controller `ownerReference`, and for a ReplicaSet the Deployment that
   * controls it. Reads pods and ReplicaSets only.
   */
  resolvePodOwners(
    cluster: string,
    namespace: string,
    podNames: string[],
    options?: { signal?: AbortSignal },
  ): Promise<PodOwner[]>;
  /**
   * `kubectl rollout restart`: merge-patches the workload's
   * `spec.template.metadata.annotations["kubectl.kubernetes.io/restartedAt"]`
   * with the current time, so its controller replaces every pod. Only
   * Deployments, StatefulSets and DaemonSets (apps/v1); any other
   * kind is `invalid-input`.
   * Returns the time written (ISO 8601).
   */
  restartWorkload(
    cluster: string,
    namespace: string,
    workload: WorkloadRef,
  ): Promise<{ restartedAt: string }>;
}
