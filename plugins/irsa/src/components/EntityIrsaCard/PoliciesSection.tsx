import Box from '@material-ui/core/Box';
import Chip from '@material-ui/core/Chip';
import Typography from '@material-ui/core/Typography';
import type {
  AllowlistEntry,
  AttachedPolicy,
} from '@backstage-irsa/plugin-irsa-common';
import { ExpandableJson } from './Expandable';
import { StatusLine } from './StatusIcon';

const SOURCE_LABELS: Record<AllowlistEntry['source'], string> = {
  nat: 'NAT gateway IP',
  vpc: 'cluster VPC',
  extra: 'extra CIDR',
};

/** Every managed and inline policy, each document expandable. */
export const PoliciesSection = ({
  policies,
}: {
  policies: AttachedPolicy[];
}) => (
  <Box data-testid="irsa-policies">
    {policies.length === 0 && (
      <Typography variant="body2">No policies attached.</Typography>
    )}
    {policies.map(policy => (
      <Box key={`${policy.kind}:${policy.name}`} mb={1}>
        <Typography variant="body2" component="span">
          {policy.name}{' '}
        </Typography>
        <Chip
          size="small"
          label={policy.kind === 'managed' ? 'managed' : 'inline'}
        />
        {policy.awsManaged && (
          <Chip size="small" label="AWS-managed" color="secondary" />
        )}
        {policy.purpose === 'allowlist' && (
          <Chip size="small" label="IP allowlist" />
        )}
        {policy.document && (
          <ExpandableJson label="document" value={policy.document} />
        )}
      </Box>
    ))}
  </Box>
);

/** The allowlist, each entry with where it comes from and whether it is covered. */
export const AllowlistSection = ({
  entries,
}: {
  entries: AllowlistEntry[];
}) => (
  <Box data-testid="irsa-allowlist">
    {entries.length === 0 && (
      <Typography variant="body2">No allowlist entries.</Typography>
    )}
    {entries.map(entry => (
      <Typography
        variant="body2"
        component="div"
        key={`${entry.kind}:${entry.value}`}
        data-state={entry.state}
      >
        <StatusLine status={entry.state === 'covered' ? 'pass' : 'fail'}>
          <code>{entry.value}</code> — {SOURCE_LABELS[entry.source]}
          {entry.state === 'missing' ? ' (missing from the policy)' : ''}
        </StatusLine>
      </Typography>
    ))}
  </Box>
);
