import type {
  AwsTarget,
  CloudTrailEventInfo,
  CloudTrailGateway,
  LookupEventsInput,
} from '@backstage-irsa/plugin-irsa-node';
import { clone, SandboxState } from './state';

/** CloudTrail of the sandbox: the events the sandbox controls recorded. */
export class SandboxCloudTrailGateway implements CloudTrailGateway {
  constructor(private readonly state: SandboxState) {}

  async lookupEvents(
    target: AwsTarget,
    input: LookupEventsInput,
  ): Promise<CloudTrailEventInfo[]> {
    const { key, value } = input.attribute;
    const end = input.endTime ?? this.state.now();
    return this.state
      .account(target.accountId)
      .events.filter(e => e.region === target.region)
      .filter(e => {
        if (key === 'Username') return e.username === value;
        if (key === 'EventName') return e.eventName === value;
        return e.resourceNames.includes(value);
      })
      .filter(
        e =>
          e.eventTime >= input.startTime.toISOString() &&
          e.eventTime <= end.toISOString(),
      )
      .slice(0, input.maxEvents)
      .map(({ resourceNames: _r, region: _g, ...event }) => clone(event));
  }
}
