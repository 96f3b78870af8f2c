import { Sha256 } from '@aws-crypto/sha256-js';
import {
  Client,
  Command,
  SENSITIVE_STRING,
  ServiceException,
  type SmithyResolvedConfiguration,
} from '@smithy/core/client';
import {
  getRetryPlugin,
  resolveRetryConfig,
  type RetryResolvedConfig,
} from '@smithy/core/retry';
import {
  fromBase64,
  fromUtf8,
  getSerdePlugin,
  streamCollector,
  toBase64,
  toUtf8,
} from '@smithy/core/serde';
import { NodeHttpHandler } from '@smithy/node-http-handler';
import { HttpRequest, type HttpResponse } from '@smithy/protocol-http';
import { SignatureV4 } from '@smithy/signature-v4';
import type {
  AwsCredentialIdentityProvider,
  Endpoint,
  FinalizeRequestMiddleware,
  HttpHandlerOptions,
  MetadataBearer,
  ResponseMetadata,
  SerdeContext,
  SerdeFunctions,
} from '@smithy/types';

/*
 * The EKS Auth API (REST-JSON, API version 2023-11-26, signing name
 * `eks-auth`) has one operation, AssumeRoleForPodIdentity. Its generated
 * client, @aws-sdk/client-eks-auth, is not in the registry this project
 * installs from, so this file is a small client of the same shape on the
 * SDK's own runtime (@smithy/core): a Client, a Command, SigV4 signing and
 * the standard retry strategy. Replacing it with the generated client later
 * changes only imports.
 */

/** Input of AssumeRoleForPodIdentity. */
export interface AssumeRoleForPodIdentityCommandInput {
  clusterName: string;
  /** The pod's ServiceAccount token (audience `pods.eks.amazonaws.com`). */
  token: string;
}

/** The JSON body AssumeRoleForPodIdentity answers with (timestamps in epoch seconds). */
interface AssumeRoleForPodIdentityResponseBody {
  subject?: { namespace?: string; serviceAccount?: string };
  audience?: string;
  podIdentityAssociation?: { associationArn?: string; associationId?: string };
  assumedRoleUser?: { arn?: string; assumeRoleId?: string };
  credentials?: {
    accessKeyId?: string;
    secretAccessKey?: string;
    sessionToken?: string;
    expiration?: number;
  };
}

/** A REST-JSON error body. */
interface ErrorBody {
  message?: string;
  Message?: string;
  __type?: string;
  code?: string;
}

/**
 * Output of AssumeRoleForPodIdentity. Of the credentials only their
 * expiration is kept: the keys never leave the deserializer.
 */
export interface AssumeRoleForPodIdentityCommandOutput
  extends
    MetadataBearer,
    Omit<AssumeRoleForPodIdentityResponseBody, 'credentials'> {
  credentials?: { expiration?: Date };
}

/** What {@link EksAuthClient} is built from (the gateways' client config). */
export interface EksAuthClientConfig {
  region: string;
  credentials?: AwsCredentialIdentityProvider;
  /** Replaces `https://eks-auth.REGION.api.aws` (a VPC endpoint, a test double). */
  endpoint?: string;
  customUserAgent?: string;
  maxAttempts?: number;
}

/** The resolved configuration every command of the client sees. */
export interface EksAuthResolvedConfig
  extends
    SmithyResolvedConfiguration<HttpHandlerOptions>,
    RetryResolvedConfig,
    SerdeFunctions {
  region: string;
  endpoint: () => Promise<Endpoint>;
  credentials: AwsCredentialIdentityProvider;
  customUserAgent: string;
}

/** What the serializer and deserializer are handed: the config and its endpoint. */
type EksAuthSerdeContext = SerdeContext &
  Pick<EksAuthResolvedConfig, 'customUserAgent'>;

const API_VERSION = '2023-11-26';
const SIGNING_NAME = 'eks-auth';

/** The host EKS Auth answers on: only dual-stack names (`api.aws`; China has its own suffix). */
export function eksAuthEndpoint(region: string): string {
  if (!/^[a-z]{2}(-[a-z]+)+-\d+$/.test(region)) {
    throw new Error(`EKS Auth: "${region}" is not an AWS region name`);
  }
  const suffix = region.startsWith('cn-')
    ? 'api.amazonwebservices.com.cn'
    : 'api.aws';
  return `https://eks-auth.${region}.${suffix}`;
}

async function serialize(
  input: AssumeRoleForPodIdentityCommandInput,
  context: EksAuthSerdeContext,
): Promise<HttpRequest> {
  const endpoint = await context.endpoint();
  const base = endpoint.path.replace(/\/+$/, '');
  const body = JSON.stringify({ token: input.token });
  const port = endpoint.port ? `:${endpoint.port}` : '';
  return new HttpRequest({
    method: 'POST',
    protocol: endpoint.protocol,
    hostname: endpoint.hostname,
    port: endpoint.port,
    path: `${base}/clusters/${encodeURIComponent(input.clusterName)}/assume-role-for-pod-identity`,
    headers: {
      host: `${endpoint.hostname}${port}`,
      'content-type': 'application/json',
      'content-length': String(Buffer.byteLength(body)),
      'user-agent': context.customUserAgent,
    },
    body,
  });
}

/** A JSON object body, or `{}` for anything else. */
function parseJson<T extends object>(text: string): Partial<T> {
  try {
    const parsed: unknown = text ? JSON.parse(text) : {};
    return parsed && typeof parsed === 'object' ? (parsed as T) : {};
  } catch {
    // A proxy's HTML error page: the status code still tells what happened.
    return {};
  }
}

function header(response: HttpResponse, name: string): string | undefined {
  return Object.entries(response.headers).find(
    ([key]) => key.toLowerCase() === name,
  )?.[1];
}

/** REST-JSON error code: the `x-amzn-errortype` header, else the body's `__type` or `code`. */
function errorCode(response: HttpResponse, body: ErrorBody): string {
  const raw =
    header(response, 'x-amzn-errortype') ?? body.__type ?? body.code ?? '';
  // `ns#Name:http://...` → `Name`
  return raw.split(':')[0].split('#').pop() || 'UnknownError';
}

async function deserialize(
  response: HttpResponse,
  context: EksAuthSerdeContext,
): Promise<AssumeRoleForPodIdentityCommandOutput> {
  const $metadata: ResponseMetadata = {
    httpStatusCode: response.statusCode,
    requestId: header(response, 'x-amzn-requestid'),
  };
  const text = context.utf8Encoder(
    await context.streamCollector(response.body),
  );
  if (response.statusCode >= 300) {
    const error = parseJson<ErrorBody>(text);
    throw new ServiceException({
      name: errorCode(response, error),
      $fault: response.statusCode >= 500 ? 'server' : 'client',
      $metadata,
      message: error.message ?? error.Message ?? '',
    });
  }
  const { credentials, ...proof } =
    parseJson<AssumeRoleForPodIdentityResponseBody>(text);
  const expiration = credentials?.expiration;
  return {
    $metadata,
    ...proof,
    ...(credentials && {
      credentials: {
        expiration:
          typeof expiration === 'number'
            ? new Date(expiration * 1000)
            : undefined,
      },
    }),
  };
}

/** Signs each attempt anew (after the retry middleware), as the SDK does. */
function signingMiddleware(
  config: EksAuthResolvedConfig,
): FinalizeRequestMiddleware<
  AssumeRoleForPodIdentityCommandInput,
  AssumeRoleForPodIdentityCommandOutput
> {
  const signer = new SignatureV4({
    service: SIGNING_NAME,
    region: config.region,
    credentials: config.credentials,
    sha256: Sha256,
  });
  return next => async args => {
    if (!HttpRequest.isInstance(args.request)) return next(args);
    return next({ ...args, request: await signer.sign(args.request) });
  };
}

/** The EKS Auth API on the SDK v3 runtime (see the note at the top of this file). */
export class EksAuthClient extends Client<
  HttpHandlerOptions,
  AssumeRoleForPodIdentityCommandInput,
  AssumeRoleForPodIdentityCommandOutput,
  EksAuthResolvedConfig
> {
  constructor(config: EksAuthClientConfig) {
    const { credentials } = config;
    if (!credentials) {
      throw new Error('EKS Auth: the client needs credentials to sign with');
    }
    const url = new URL(config.endpoint ?? eksAuthEndpoint(config.region));
    const endpoint: Endpoint = {
      protocol: url.protocol,
      hostname: url.hostname,
      port: url.port ? Number(url.port) : undefined,
      path: url.pathname,
    };
    super({
      ...resolveRetryConfig({
        maxAttempts: config.maxAttempts ?? 3,
        retryMode: 'standard',
      }),
      apiVersion: API_VERSION,
      requestHandler: new NodeHttpHandler(),
      region: config.region,
      endpoint: async () => endpoint,
      credentials,
      customUserAgent: config.customUserAgent ?? 'backstage-irsa',
      base64Encoder: toBase64,
      base64Decoder: fromBase64,
      utf8Encoder: toUtf8,
      utf8Decoder: fromUtf8,
      streamCollector,
    });
    this.middlewareStack.use(getRetryPlugin(this.config));
    this.middlewareStack.addRelativeTo(signingMiddleware(this.config), {
      name: 'eksAuthSigningMiddleware',
      relation: 'after',
      toMiddleware: 'retryMiddleware',
    });
  }
}

/**
 * AssumeRoleForPodIdentity: what the Pod Identity agent calls to trade a
 * pod's ServiceAccount token for the associated role's credentials. The
 * token and the credentials are masked in the SDK's logs.
 */
export class AssumeRoleForPodIdentityCommand extends Command.classBuilder<
  AssumeRoleForPodIdentityCommandInput,
  AssumeRoleForPodIdentityCommandOutput,
  EksAuthResolvedConfig,
  AssumeRoleForPodIdentityCommandInput,
  AssumeRoleForPodIdentityCommandOutput
>()
  .m((_command, _stack, config: EksAuthResolvedConfig) => [
    getSerdePlugin<
      AssumeRoleForPodIdentityCommandInput,
      EksAuthSerdeContext,
      AssumeRoleForPodIdentityCommandOutput
    >(config, serialize, deserialize),
  ])
  .s('AmazonEKSAuth', 'AssumeRoleForPodIdentity', {})
  .n('EksAuthClient', 'AssumeRoleForPodIdentityCommand')
  .f(
    input => ({ ...input, token: SENSITIVE_STRING }),
    output => ({ ...output, credentials: SENSITIVE_STRING }),
  )
  .build() {}
