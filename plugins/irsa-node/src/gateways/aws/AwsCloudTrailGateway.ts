import {
  CloudTrailClient,
  LookupEventsCommand,
  type Event,
} from '@aws-sdk/client-cloudtrail';
import type {
  AwsTarget,
  CloudTrailEventInfo,
  CloudTrailGateway,
  LookupEventsInput,
} from '../types';
import { defineAwsApi, type AwsApiClientFor } from './AwsApiClient';
import { allPages } from './allPages';

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

function cloudTrailEventInfo(event: Event): CloudTrailEventInfo {
  const record: EventRecord = event.CloudTrailEvent
    ? JSON.parse(event.CloudTrailEvent)
    : {};
  return {
    eventId: event.EventId ?? '',
    eventName: event.EventName ?? '',
    eventSource: event.EventSource ?? '',
    eventTime: event.EventTime?.toISOString() ?? '',
    username: event.Username,
    errorCode: record.errorCode,
    errorMessage: record.errorMessage,
    sourceIp: record.sourceIPAddress,
    resources: (event.Resources ?? []).flatMap(resource =>
      resource.ResourceName ? [resource.ResourceName] : [],
    ),
  };
}

/** CloudTrail on AWS SDK v3: management events, by one lookup attribute or all of a window. */
export class AwsCloudTrailGateway implements CloudTrailGateway {
  constructor(
    private readonly cloudTrail: AwsApiClientFor<typeof CLOUDTRAIL_API>,
  ) {}

  async lookupEvents(
    target: AwsTarget,
    input: LookupEventsInput,
  ): Promise<CloudTrailEventInfo[]> {
    const { attribute } = input;
    return allPages(
      (NextToken, found) =>
        this.cloudTrail.send(
          target,
          new LookupEventsCommand({
            // Without an attribute: every management event of the window.
            ...(attribute && {
              LookupAttributes: [
                {
                  AttributeKey: attribute.key,
                  AttributeValue: attribute.value,
                },
              ],
            }),
            StartTime: input.startTime,
            EndTime: input.endTime,
            MaxResults: Math.min(50, input.maxEvents - found),
            NextToken,
          }),
        ),
      page => ({
        items: (page.Events ?? []).map(cloudTrailEventInfo),
        next: page.NextToken,
      }),
      { maxItems: input.maxEvents },
    );
  }
}
