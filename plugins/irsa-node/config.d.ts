export interface Config {
  irsa?: {
    /**
     * The EKS clusters IRSA works with. `name` is what entity annotations and
     * templates use, and the name of the cluster under
     * kubernetes.clusterLocatorMethods (so a cluster is configured once).
     * @visibility backend
     */
    clusters?: Array<{
      /** DNS-1123 label. */
      name: string;
      /** The EKS cluster name in AWS, when it differs from `name`. */
      eksClusterName?: string;
      /** 12-digit account id (quote it in YAML). */
      accountId: string;
      /** AWS region, for example eu-west-1. */
      region: string;
      /**
       * What aws:irsa:create provisions when the template names no
       * mechanism: `irsa` (ServiceAccount annotation, the default) or
       * `pod-identity` (an EKS Pod Identity association; needs the
       * eks-pod-identity-agent add-on, not on Fargate or Windows nodes).
       */
      defaultMechanism?: 'irsa' | 'pod-identity';
      /**
       * Where templates may provision ServiceAccounts. kube-system,
       * kube-public and kube-node-lease are refused unless `allow` names
       * them exactly.
       */
      namespaces?: {
        /** Namespace patterns (`*`, `?`) templates may use; empty means any. */
        allow?: string[];
        /** Namespace patterns refused; deny wins over allow. */
        deny?: string[];
      };
      /** Use this OIDC provider ARN instead of deriving it from the issuer. */
      oidcProviderArn?: string;
      /** Use this VPC id instead of DescribeCluster's. */
      vpcId?: string;
      /** Public egress IPs, when NAT gateways cannot be discovered. */
      natPublicIps?: string[];
    }>;
    /** Calls to AWS. @visibility backend */
    aws?: {
      /** Appended to the SDK user agent. Default backstage-irsa. */
      userAgent?: string;
      /** Endpoint overrides per service (VPC endpoints, FIPS, emulators). */
      endpoints?: {
        iam?: string;
        sts?: string;
        ec2?: string;
        eks?: string;
        cloudtrail?: string;
        /** IAM Access Analyzer (ValidatePolicy). */
        accessanalyzer?: string;
        /** EKS Auth (AssumeRoleForPodIdentity), default `https://eks-auth.REGION.api.aws`. */
        'eks-auth'?: string;
      };
      /** Request budget per account and API family, requests per second (CloudTrail is fixed at 2). */
      requestsPerSecond?: {
        iam?: number;
        sts?: number;
        ec2?: number;
        eks?: number;
        /** IAM Access Analyzer. Default 5. */
        accessanalyzer?: number;
        /** EKS Auth (the live Pod Identity exchange). Default 5. */
        'eks-auth'?: number;
      };
      /** Per-call timeout in milliseconds. Default 10000. */
      timeoutMs?: number;
      /** SDK attempts per call (retries with backoff on throttling). Default 3. */
      maxAttempts?: number;
    };
    /** Calls to the Kubernetes API of the clusters. @visibility backend */
    kubernetes?: {
      /**
       * Per-call timeout in milliseconds (each request, each page of a
       * list); a call that takes longer fails as unavailable. Default 10000.
       */
      timeoutMs?: number;
    };
    /**
     * The verifier shared by the irsa backend plugin and aws:irsa:verify
     * (irsaVerifierServiceRef). Read once at start-up; an invalid value
     * stops the backend with an error naming the key.
     * @visibility backend
     */
    verification?: {
      /**
       * Deadline for each source a check reads (AWS or Kubernetes call);
       * past it the check is `unknown`. 100 to 300000. Default 10000.
       */
      checkTimeoutMs?: number;
      /**
       * Require the binding check to prove that entity, ServiceAccount and
       * role belong together before any policy is read or token minted.
       * false turns an unproven binding into a warning. Default true.
       */
      requireBinding?: boolean;
      /** The cloudtrail check's lookups. */
      cloudTrail?: {
        /** How far back to look, in minutes. 1 to 10080. Default 60. */
        lookbackMinutes?: number;
        /** How long one lookup per role is reused. 0 to 86400. Default 300. */
        cacheSeconds?: number;
        /** Roles kept in the cache (least recently used evicted). Default 500. */
        maxEntries?: number;
      };
      /**
       * Prove a Pod Identity workload's credentials live: a TokenRequest
       * bound to one running pod of the ServiceAccount (audience
       * pods.eks.amazonaws.com), exchanged with
       * eks-auth:AssumeRoleForPodIdentity. AWS documents that API as used
       * only by the EKS Pod Identity Agent, so it is off by default; turning
       * it on needs eks-auth:AssumeRoleForPodIdentity on the clusters for
       * Backstage's identity and RBAC create on serviceaccounts/token.
       * Off, the pod-identity-exchange check is skipped and the association,
       * trust policy and agent checks stand as the proof. Default false.
       */
      podIdentityExchange?: boolean;
    };
    /** How aws:irsa:create provisions. @visibility backend */
    provisioning?: {
      /**
       * IAM path of roles and policies. Default /. A template may choose a
       * path below it, never outside; only roles under it can be adopted.
       */
      rolePath?: string;
      /**
       * Permissions boundary attached to every role. A template can neither
       * remove nor replace it.
       */
      permissionsBoundaryArn?: string;
      /**
       * The longest session (seconds, 3600 to 43200) a template may ask for
       * with maxSessionDuration. Default 3600.
       */
      maxSessionDuration?: number;
      /**
       * Tags written on every role and policy (for example cost-center). A
       * template's tags cannot overwrite them. Keys may not start with aws:
       * or irsa.dev/.
       */
      tags?: { [key: string]: string };
      /**
       * How long (seconds, 0 to 600) a run waits while another run works on
       * the same ServiceAccount or role before it is refused. Default 30.
       */
      lockWaitSeconds?: number;
      /** EKS Pod Identity (mechanism pod-identity). */
      podIdentity?: {
        /**
         * 12-digit account ids whose roles an association may chain into
         * (aws:irsa:create's targetRoleArn, cross-account access). Default
         * none: a targetRoleArn is refused. Backstage reads each target
         * role (credentials for the account under aws.accounts) and refuses
         * one without a Deny on aws:SourceIp covering the cluster's egress.
         */
        targetAccounts?: string[];
      };
      /** Allow admin-equivalent grants (*, iam:*, iam:PassRole on *, ...). Default false. */
      allowAdminEquivalent?: boolean;
      /** Tunes the admin-equivalent guardrail. */
      guardrails?: {
        /** Escalation actions accepted on every resource (e.g. iam:PassRole). Wildcard admin stays refused. */
        allowedActions?: string[];
        /** Further actions refused on any resource (e.g. s3:DeleteBucket). */
        deniedActions?: string[];
      };
      /**
       * Which managed policies `managedPolicyArns` may attach. Without a
       * rule, AWS managed policies that grant admin or IAM control
       * (AdministratorAccess, PowerUserAccess, IAMFullAccess, ...) and
       * policies of accounts other than the cluster's are refused, and every
       * other policy's default version goes through the guardrail.
       */
      managedPolicies?: {
        /**
         * Policy ARN patterns (`*` and `?` wildcards, case-insensitive)
         * accepted as they are, even when refused by name or by the
         * guardrail, e.g. arn:aws:iam::aws:policy/PowerUserAccess.
         */
        allow?: string[];
        /** Policy ARN patterns refused; deny wins over allow. */
        deny?: string[];
      };
      /**
       * Run IAM Access Analyzer ValidatePolicy on every policy document
       * before writing; ERROR and SECURITY_WARNING findings refuse the run.
       * Backstage's identity then needs access-analyzer:ValidatePolicy.
       * Default false.
       */
      accessAnalyzer?: boolean;
      /** The broadest CIDR an allowlist (ipAllowList) may name; /0 is always refused. */
      allowlist?: {
        /** Smallest IPv4 prefix length accepted, 1 to 32. Default 16. */
        minPrefixV4?: number;
        /** Smallest IPv6 prefix length accepted, 1 to 128. Default 32. */
        minPrefixV6?: number;
      };
    };
  };
}
