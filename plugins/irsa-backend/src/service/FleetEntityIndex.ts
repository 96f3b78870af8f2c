import type { AuthService, LoggerService } from '@backstage/backend-plugin-api';
import { CATALOG_FILTER_EXISTS } from '@backstage/catalog-client';
import {
  parseEntityRef,
  stringifyEntityRef,
  type Entity,
} from '@backstage/catalog-model';
import type { CatalogService } from '@backstage/plugin-catalog-node';
import {
  ANNOTATION_IRSA_CLUSTER,
  ANNOTATION_IRSA_MECHANISM,
  ANNOTATION_IRSA_SERVICE_ACCOUNT,
  IDENTITY_MECHANISMS,
  type IdentityMechanism,
} from '@backstage-irsa/plugin-irsa-common';
import type { ClusterRegistry } from '@backstage-irsa/plugin-irsa-node';
import { entityKey } from './ReportStore';

/** An annotated entity as the fleet list shows it, before its report. */
export interface FleetIndexEntry {
  entityRef: string;
  /** The ref as reports are keyed ({@link entityKey}). */
  key: string;
  title?: string;
  /** The owner as a full entity ref (`group:default/payments`). */
  owner: string;
  /** {@link FleetIndexEntry.owner}, lower-cased, for the owner filter. */
  ownerKey: string;
  cluster: string;
  namespace: string;
  serviceAccount: string;
  /** `irsa.dev/mechanism`; absent or unknown means IRSA. */
  declaredMechanism: IdentityMechanism;
}

const ENTITY_FIELDS = [
  'kind',
  'metadata.namespace',
  'metadata.name',
  'metadata.title',
  'metadata.annotations',
  'spec.owner',
];

/** How long a catalog listing answers before the next one is read. */
export const FLEET_INDEX_MAX_AGE_MS = 15_000;

/**
 * Every annotated entity of the catalog, read with the plugin's own
 * credentials and sorted by ref, so that a fleet list request costs a
 * permission decision and a pass over this array instead of a catalog
 * query of thousands of entities. Each caller's own catalog.entity.read
 * and irsa.entity.read are applied per request by FleetOverview.
 *
 * A listing older than `maxAgeMs` is still answered while the next one is
 * read in the background, so one request in a while pays nothing for it.
 */
export class FleetEntityIndex {
  #current?: { entries: FleetIndexEntry[]; loadedAt: number };
  #loading?: Promise<FleetIndexEntry[]>;

  constructor(
    private readonly options: {
      catalog: CatalogService;
      auth: AuthService;
      clusters: ClusterRegistry;
      logger: LoggerService;
      maxAgeMs?: number;
      now?: () => number;
    },
  ) {}

  /** The annotated entities, sorted by ref (code-unit order). */
  async entries(): Promise<readonly FleetIndexEntry[]> {
    const current = this.#current;
    const maxAgeMs = this.options.maxAgeMs ?? FLEET_INDEX_MAX_AGE_MS;
    if (current && this.now() - current.loadedAt < maxAgeMs) {
      return current.entries;
    }
    if (!current) return this.load();
    if (!this.#loading) {
      // Answered from the older listing; a failed refresh is retried next time.
      this.load().catch(error =>
        this.options.logger.warn(
          `IRSA fleet list: could not refresh the catalog listing: ${(error as Error).name}`,
        ),
      );
    }
    return current.entries;
  }

  private load(): Promise<FleetIndexEntry[]> {
    this.#loading ??= this.read().finally(() => {
      this.#loading = undefined;
    });
    return this.#loading;
  }

  private async read(): Promise<FleetIndexEntry[]> {
    const { catalog, auth } = this.options;
    const startedAt = this.now();
    const { items } = await catalog.getEntities(
      {
        filter: {
          [`metadata.annotations.${ANNOTATION_IRSA_SERVICE_ACCOUNT}`]:
            CATALOG_FILTER_EXISTS,
        },
        fields: ENTITY_FIELDS,
      },
      { credentials: await auth.getOwnServiceCredentials() },
    );
    const entries = items.map(entity => this.entryOf(entity));
    // Code-unit order: refs are ASCII, and 5,000 localeCompare calls are slow.
    entries.sort((a, b) => compareRefs(a.entityRef, b.entityRef));
    this.#current = { entries, loadedAt: startedAt };
    return entries;
  }

  private entryOf(entity: Entity): FleetIndexEntry {
    const annotations = entity.metadata.annotations ?? {};
    const entityRef = stringifyEntityRef(entity);
    const owner = ownerRef(entity);
    const [namespace, serviceAccount] = serviceAccountOf(
      annotations[ANNOTATION_IRSA_SERVICE_ACCOUNT],
    );
    const declared = annotations[ANNOTATION_IRSA_MECHANISM]?.trim();
    return {
      entityRef,
      key: entityKey(entityRef),
      ...(entity.metadata.title ? { title: entity.metadata.title } : {}),
      owner,
      ownerKey: owner.toLocaleLowerCase('en-US'),
      cluster:
        annotations[ANNOTATION_IRSA_CLUSTER]?.trim() ||
        this.options.clusters.defaultCluster()?.name ||
        '',
      namespace,
      serviceAccount,
      declaredMechanism:
        IDENTITY_MECHANISMS.find(m => m === declared) ?? 'irsa',
    };
  }

  private now() {
    return this.options.now?.() ?? Date.now();
  }
}

function compareRefs(a: string, b: string): number {
  if (a === b) return 0;
  return a < b ? -1 : 1;
}

/** The owner as a full ref; an unparseable owner is kept as written. */
function ownerRef(entity: Entity): string {
  const owner = entity.spec?.owner;
  if (typeof owner !== 'string' || !owner) return '';
  try {
    return stringifyEntityRef(
      parseEntityRef(owner, {
        defaultKind: 'group',
        defaultNamespace: entity.metadata.namespace ?? 'default',
      }),
    );
  } catch {
    return owner;
  }
}

/** `namespace/name` of the annotation; a value without `/` is the name. */
function serviceAccountOf(value: string | undefined): [string, string] {
  const trimmed = value?.trim() ?? '';
  if (!trimmed.includes('/')) return ['', trimmed];
  const [namespace, name] = trimmed.split('/', 2);
  return [namespace, name];
}
