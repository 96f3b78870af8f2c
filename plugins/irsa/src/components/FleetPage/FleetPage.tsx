import { useState, type ReactNode } from 'react';
import useAsync from 'react-use/esm/useAsync';
import {
  Content,
  Header,
  InfoCard,
  Page,
  Progress,
  ResponseErrorPanel,
  Table,
  type TableColumn,
} from '@backstage/core-components';
import { useApi } from '@backstage/core-plugin-api';
import { EntityRefLink } from '@backstage/plugin-catalog-react';
import { usePermission } from '@backstage/plugin-permission-react';
import Box from '@material-ui/core/Box';
import Button from '@material-ui/core/Button';
import MenuItem from '@material-ui/core/MenuItem';
import TablePagination from '@material-ui/core/TablePagination';
import TextField from '@material-ui/core/TextField';
import Typography from '@material-ui/core/Typography';
import {
  CHECK_IDS,
  FLEET_STATUSES,
  IDENTITY_MECHANISMS,
  checkTitle,
  irsaFleetReadPermission,
  type FleetEntity,
  type FleetOrphan,
  type FleetStatus,
  type IdentityMechanism,
} from '@backstage-irsa/plugin-irsa-common';
import { irsaApiRef, type FleetListQuery } from '../../api';
import { MECHANISM_LABELS } from '../EntityIrsaCard/ReportParts';
import { StatusLine } from '../EntityIrsaCard/StatusIcon';

/** What each fleet status is called on the page. */
export const FLEET_STATUS_LABELS: Record<FleetStatus, string> = {
  pass: 'Healthy',
  warn: 'Warnings',
  fail: 'Broken',
  unknown: 'Unknown',
  none: 'Never verified',
};

const PAGE_SIZES = [25, 50, 100];

const FleetStatusLine = ({ status }: { status: FleetStatus }) => (
  <StatusLine status={status === 'none' ? 'skipped' : status}>
    {FLEET_STATUS_LABELS[status]}
  </StatusLine>
);

const columns: TableColumn<FleetEntity>[] = [
  {
    title: 'Entity',
    field: 'entityRef',
    render: row => (
      <EntityRefLink entityRef={row.entityRef} title={row.title} />
    ),
  },
  {
    title: 'Status',
    field: 'status',
    render: row => (
      <span data-testid="irsa-fleet-status" data-status={row.status}>
        <FleetStatusLine status={row.status} />
      </span>
    ),
  },
  {
    title: 'Failing checks',
    field: 'failingChecks',
    render: row =>
      row.failingChecks.map(id => checkTitle({ id })).join(', ') || '—',
  },
  { title: 'Cluster', field: 'cluster' },
  { title: 'Namespace', field: 'namespace' },
  { title: 'ServiceAccount', field: 'serviceAccount' },
  {
    title: 'Owner',
    field: 'owner',
    render: row => (row.owner ? <EntityRefLink entityRef={row.owner} /> : '—'),
  },
  {
    title: 'Mechanism',
    field: 'mechanism',
    render: row => MECHANISM_LABELS[row.mechanism] ?? row.mechanism,
  },
  {
    title: 'Last verified',
    field: 'verifiedAt',
    render: row =>
      row.verifiedAt
        ? new Date(row.verifiedAt).toISOString().replace(/\.\d+Z$/, 'Z')
        : 'Never',
  },
  {
    title: 'Stale',
    field: 'stale',
    render: row => (row.stale ? 'Stale' : 'Fresh'),
  },
];

/** A select filter whose empty choice means "any". */
function FilterSelect(props: {
  label: string;
  name: string;
  value: string;
  choices: Array<[value: string, label: string]>;
  onChange: (value: string) => void;
}) {
  return (
    <TextField
      select
      id={`irsa-fleet-filter-${props.name}-select`}
      label={props.label}
      name={props.name}
      value={props.value}
      onChange={e => props.onChange(e.target.value as string)}
      variant="outlined"
      size="small"
      style={{ minWidth: 180 }}
      inputProps={{ 'data-testid': `irsa-fleet-filter-${props.name}` }}
    >
      <MenuItem value="">Any</MenuItem>
      {props.choices.map(([value, label]) => (
        <MenuItem key={value} value={value}>
          {label}
        </MenuItem>
      ))}
    </TextField>
  );
}

function describeOrphan(orphan: FleetOrphan): { kind: string; name: string } {
  switch (orphan.kind) {
    case 'role':
      return { kind: 'IAM role', name: orphan.roleArn };
    case 'entity':
      return { kind: 'Entity', name: orphan.entityRef };
    case 'association':
      return {
        kind: 'Pod Identity association',
        name: `${orphan.namespace}/${orphan.serviceAccount} (${orphan.associationId})`,
      };
    default:
      return {
        kind: 'ServiceAccount',
        name: `${orphan.namespace}/${orphan.name}`,
      };
  }
}

/** What belongs to nobody; shown to those with irsa.fleet.read. */
function OrphansSection() {
  const api = useApi(irsaApiRef);
  const { value, loading, error } = useAsync(() => api.listOrphans(), [api]);
  let body: ReactNode;
  if (loading) body = <Progress />;
  else if (error) body = <ResponseErrorPanel error={error} />;
  else if (value && !value.items.length) {
    body = <Typography>Nothing belongs to nobody.</Typography>;
  } else if (value) {
    body = (
      <Table<FleetOrphan>
        options={{ paging: false, search: false, padding: 'dense' }}
        data={value.items}
        columns={[
          {
            title: 'Kind',
            render: row => describeOrphan(row).kind,
          },
          {
            title: 'Name',
            render: row => (
              <span data-testid={`irsa-orphan-${row.kind}`}>
                {describeOrphan(row).name}
              </span>
            ),
          },
          { title: 'Cluster', field: 'cluster' },
          { title: 'Why', field: 'reason' },
        ]}
      />
    );
  }
  return (
    <InfoCard
      title="Orphans"
      subheader="Roles and EKS Pod Identity associations whose entity left the catalog, entities and ServiceAccounts whose role is gone."
    >
      {value?.errors.map(e => (
        <Typography key={e} color="error">
          {e}
        </Typography>
      ))}
      {body}
    </InfoCard>
  );
}

/**
 * The platform team's view: every entity with IRSA, its status and failing
 * checks, filtered by cluster, owner, status and check, with counts per
 * status; and, for those allowed, what belongs to nobody.
 */
export function FleetPageContent() {
  const api = useApi(irsaApiRef);
  const [filters, setFilters] = useState<
    Required<Pick<FleetListQuery, 'cluster' | 'owner' | 'check'>> & {
      status: FleetStatus | '';
      mechanism: IdentityMechanism | '';
    }
  >({ cluster: '', owner: '', status: '', check: '', mechanism: '' });
  const [ownerInput, setOwnerInput] = useState('');
  const [page, setPage] = useState(0);
  const [pageSize, setPageSize] = useState(PAGE_SIZES[0]);
  const { allowed: mayReadOrphans } = usePermission({
    permission: irsaFleetReadPermission,
  });
  const clusters = useAsync(() => api.listClusters(), [api]);
  const fleet = useAsync(
    () =>
      api.listFleet({
        cluster: filters.cluster || undefined,
        owner: filters.owner || undefined,
        status: filters.status || undefined,
        check: filters.check || undefined,
        mechanism: filters.mechanism || undefined,
        offset: page * pageSize,
        limit: pageSize,
      }),
    [api, filters, page, pageSize],
  );
  const update = (change: Partial<typeof filters>) => {
    setFilters(current => ({ ...current, ...change }));
    setPage(0);
  };

  return (
    <>
      <Box
        display="flex"
        flexWrap="wrap"
        mb={2}
        data-testid="irsa-fleet-counts"
      >
        {FLEET_STATUSES.map(status => (
          <Box key={status} mr={1} mb={1}>
            <Button
              variant={filters.status === status ? 'contained' : 'outlined'}
              data-testid={`irsa-fleet-count-${status}`}
              aria-pressed={filters.status === status}
              onClick={() =>
                update({ status: filters.status === status ? '' : status })
              }
            >
              {FLEET_STATUS_LABELS[status]}:{' '}
              {fleet.value?.counts[status] ?? '…'}
            </Button>
          </Box>
        ))}
      </Box>
      <Box display="flex" flexWrap="wrap" mb={2} style={{ gap: 16 }}>
        <FilterSelect
          label="Cluster"
          name="cluster"
          value={filters.cluster}
          choices={(clusters.value?.items ?? []).map(c => [c.name, c.name])}
          onChange={cluster => update({ cluster })}
        />
        <FilterSelect
          label="Status"
          name="status"
          value={filters.status}
          choices={FLEET_STATUSES.map(s => [s, FLEET_STATUS_LABELS[s]])}
          onChange={status => update({ status: status as FleetStatus | '' })}
        />
        <FilterSelect
          label="Mechanism"
          name="mechanism"
          value={filters.mechanism}
          choices={IDENTITY_MECHANISMS.map(m => [m, MECHANISM_LABELS[m]])}
          onChange={mechanism =>
            update({ mechanism: mechanism as IdentityMechanism | '' })
          }
        />
        <FilterSelect
          label="Failing check"
          name="check"
          value={filters.check}
          choices={CHECK_IDS.map(id => [id, checkTitle({ id })])}
          onChange={check => update({ check })}
        />
        <form
          onSubmit={e => {
            e.preventDefault();
            update({ owner: ownerInput.trim() });
          }}
        >
          <TextField
            label="Owner"
            name="owner"
            placeholder="group:default/payments"
            value={ownerInput}
            onChange={e => setOwnerInput(e.target.value)}
            onBlur={() => update({ owner: ownerInput.trim() })}
            variant="outlined"
            size="small"
            inputProps={{ 'data-testid': 'irsa-fleet-filter-owner' }}
          />
        </form>
      </Box>
      {fleet.error ? (
        <ResponseErrorPanel error={fleet.error} />
      ) : (
        <>
          <Table<FleetEntity>
            title={`Entities with an IAM role (${fleet.value?.totalItems ?? '…'})`}
            isLoading={fleet.loading}
            options={{ paging: false, search: false, padding: 'dense' }}
            data={fleet.value?.items ?? []}
            columns={columns}
            emptyContent={
              <Box p={2}>
                <Typography>
                  No entity with IRSA matches these filters.
                </Typography>
              </Box>
            }
          />
          <TablePagination
            component="div"
            count={fleet.value?.totalItems ?? 0}
            page={page}
            rowsPerPage={pageSize}
            rowsPerPageOptions={PAGE_SIZES}
            onPageChange={(_, next) => setPage(next)}
            onRowsPerPageChange={e => {
              setPageSize(Number(e.target.value));
              setPage(0);
            }}
          />
        </>
      )}
      {mayReadOrphans && (
        <Box mt={3}>
          <OrphansSection />
        </Box>
      )}
    </>
  );
}

/** The fleet page with its header, as both frontend systems mount it at /irsa. */
export function FleetPage() {
  return (
    <Page themeId="tool">
      <Header
        title="IAM fleet"
        subtitle="Every entity with IRSA or EKS Pod Identity, its last verification, and what belongs to nobody"
      />
      <Content>
        <FleetPageContent />
      </Content>
    </Page>
  );
}
