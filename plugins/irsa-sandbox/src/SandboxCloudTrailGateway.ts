import type {
  AwsTarget,
  CloudTrailEventInfo,
  CloudTrailGateway,
  LookupEventsInput,
} from '@backstage-irsa/plugin-irsa-node';
import { clone, SandboxState } from './state';

/**
 * CloudTrail of the sandbox: the events the sandbox controls recorded,
 * newest first as LookupEvents returns them. With a lookup attribute only
 * the matching events; without one every event of the account and region
 * in the window.
 */
export class SandboxCloudTrailGateway implements CloudTrailGateway {
  constructor(private readonly state: SandboxState) {}

  async lookupEvents(
    target: AwsTarget,
    input: LookupEventsInput,
  ): Promise<CloudTrailEventInfo[]> {
    const start = input.startTime.toISOString();
    const end = (input.endTime ?? this.state.now()).toISOString();
    const matches = (e: CloudTrailEventInfo): boolean => {
      if (!input.attribute) return true;
      const { key, value } = input.attribute;
      if (key === 'Username') return e.username === value;
      if (key === 'EventName') return e.eventName === value;
      // The sandbox records no access key ids.
      if (key === 'AccessKeyId') return false;
      return (e.resources ?? []).includes(value);
    };
    return this.state
      .account(target.accountId)
      .events.filter(e => e.region === target.region)
      .filter(e => e.eventTime >= start && e.eventTime <= end)
      .filter(matches)
      .sort((a, b) => b.eventTime.localeCompare(a.eventTime))
      .slice(0, input.maxEvents)
      .map(({ region: _region, ...event }) => clone(event));
  }
}
