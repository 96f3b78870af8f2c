import {
  CloudTrailClient,
  LookupEventsCommand,
} from '@aws-sdk/client-cloudtrail';
import type {
  AwsTarget,
  CloudTrailEventInfo,
  CloudTrailGateway,
  LookupEventsInput,
} from '../types';
import { defineAwsApi, type AwsApiClientFor } from './AwsApiClient';

/** The CloudTrail API as this gateway uses it: every command it may send. */
export const CLOUDTRAIL_API = defineAwsApi({
  name: 'cloudtrail',
  // AWS allows LookupEvents 2 requests per second per account and region.
  requestsPerSecond: 2,
  fixedRate: true,
  commands: [LookupEventsCommand],
  createClient: config => new CloudTrailClient(config),
});

/** The fields of a CloudTrail event record the verifier reports. */
interface EventRecord {
  errorCode?: string;
  errorMessage?: string;
  sourceIPAddress?: string;
}

/** CloudTrail on AWS SDK v3: management events naming a resource. */
export class AwsCloudTrailGateway implements CloudTrailGateway {
  constructor(
    private readonly cloudTrail: AwsApiClientFor<typeof CLOUDTRAIL_API>,
  ) {}

  async lookupEvents(
    target: AwsTarget,
    input: LookupEventsInput,
  ): Promise<CloudTrailEventInfo[]> {
    const events: CloudTrailEventInfo[] = [];
    let token: string | undefined;
    do {
      const out = await this.cloudTrail.send(
        target,
        new LookupEventsCommand({
          LookupAttributes: [
            {
              AttributeKey: input.attribute.key,
              AttributeValue: input.attribute.value,
            },
          ],
          StartTime: input.startTime,
          EndTime: input.endTime,
          MaxResults: Math.min(50, input.maxEvents - events.length),
          NextToken: token,
        }),
      );
      for (const event of out.Events ?? []) {
        const record: EventRecord = event.CloudTrailEvent
          ? JSON.parse(event.CloudTrailEvent)
          : {};
        events.push({
          eventId: event.EventId ?? '',
          eventName: event.EventName ?? '',
          eventSource: event.EventSource ?? '',
          eventTime: event.EventTime?.toISOString() ?? '',
          username: event.Username,
          errorCode: record.errorCode,
          errorMessage: record.errorMessage,
          sourceIp: record.sourceIPAddress,
        });
      }
      token = out.NextToken;
    } while (token && events.length < input.maxEvents);
    return events;
  }
}
