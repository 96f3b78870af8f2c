import type { LoggerService } from '@backstage/backend-plugin-api';
import { InputError } from '@backstage/errors';
import { createTemplateAction } from '@backstage/plugin-scaffolder-node';
import type { EventsService } from '@backstage/plugin-events-node';
import {
  CHECK_TITLES,
  IRSA_REPORT_TOPIC,
  type VerificationReport,
} from '@backstage-irsa/plugin-irsa-common';
import {
  DefaultVerifier,
  type IrsaService,
} from '@backstage-irsa/plugin-irsa-node';

/** aws:irsa:verify — runs every check and fails the step when one fails. */
export function createVerifyAction(options: {
  service: IrsaService;
  logger: LoggerService;
  events?: EventsService;
}) {
  const verifier = new DefaultVerifier({
    service: options.service,
    logger: options.logger,
  });
  return createTemplateAction({
    id: 'aws:irsa:verify',
    description:
      'Runs the IRSA checks for a ServiceAccount (including a live credential exchange) and fails the step when a check fails.',
    schema: {
      input: {
        cluster: z =>
          z.string().describe('Cluster name as configured under irsa.clusters'),
        namespace: z =>
          z.string().describe('Kubernetes namespace of the ServiceAccount'),
        serviceAccount: z => z.string().describe('ServiceAccount name'),
        roleArn: z =>
          z
            .string()
            .optional()
            .describe(
              'Expected role ARN (default: the ServiceAccount annotation)',
            ),
        entityRef: z =>
          z
            .string()
            .optional()
            .describe(
              'Catalog entity the report belongs to; its IAM card shows this report',
            ),
        waitForPropagationSeconds: z =>
          z
            .number()
            .min(0)
            .max(600)
            .optional()
            .describe(
              'How long to retry the credential exchange while IAM propagates a new role (default 60)',
            ),
      },
      output: {
        status: z =>
          z.string().describe('Overall status: pass, warn, fail or unknown'),
        report: z =>
          z
            .record(z.string(), z.unknown())
            .describe('The full verification report'),
      },
    },
    async handler(ctx) {
      const { waitForPropagationSeconds = 60, ...request } = ctx.input;
      ctx.logger.info(
        `Verifying ${request.namespace}/${request.serviceAccount} on ${request.cluster}`,
      );
      const report: VerificationReport = await verifier.verify(
        { ...request, trigger: 'provision' },
        {
          waitForPropagationMs: waitForPropagationSeconds * 1000,
          onCheck: check =>
            ctx.logger.info(
              `${check.status.toUpperCase().padEnd(7)} ${CHECK_TITLES[check.id]}: ${check.message}`,
            ),
        },
      );
      if (request.entityRef && options.events) {
        // The irsa backend plugin stores it, so the new entity's card shows it at once.
        await options.events.publish({
          topic: IRSA_REPORT_TOPIC,
          eventPayload: { entityRef: request.entityRef, report },
        });
      }
      ctx.output('status', report.status);
      ctx.output('report', report as unknown as Record<string, unknown>);
      const failed = report.checks.filter(
        c => c.status === 'fail' || c.status === 'unknown',
      );
      if (failed.length) {
        throw new InputError(
          `IRSA verification ${report.status}: ${failed.map(c => `${CHECK_TITLES[c.id]}: ${c.message}${c.remediation ? ` (fix: ${c.remediation})` : ''}`).join('; ')}`,
        );
      }
      ctx.logger.info(
        `All checks passed${report.status === 'warn' ? ' (with warnings)' : ''}`,
      );
    },
  });
}
