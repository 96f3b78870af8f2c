import type { TemplateExample } from '@backstage/plugin-scaffolder-node';
import { exampleStep } from './exampleStep';

const step = (name: string, input: Record<string, unknown>) =>
  exampleStep({ id: 'migrate', action: 'aws:irsa:migrate', name }, input);

// Workloads of the demo sandbox: one on IRSA, one mid-way to Pod Identity, one on Pod Identity.
const workload = (namespace: string, serviceAccount: string) => ({
  cluster: 'sandbox',
  namespace,
  serviceAccount,
  entityRef: `component:default/${serviceAccount}`,
});

/** Examples shown in the scaffolder's action docs; every one is run by a test. */
export const migrateExamples: TemplateExample[] = [
  {
    description:
      'Start moving a component from IRSA to EKS Pod Identity: both trust statements, the association (which EKS gives precedence, so pods started from now on get Pod Identity) and the irsa.dev/migrating-to mark',
    example: step('Start the move to EKS Pod Identity', {
      ...workload('payments', 'payments-api'),
      to: 'pod-identity',
      step: 'start',
    }),
  },
  {
    description:
      'See exactly what finishing would change (trust before and after, the annotation patch) without writing anything',
    example: step('Preview finishing the move to EKS Pod Identity', {
      ...workload('catalog', 'catalog-api'),
      to: 'pod-identity',
      step: 'finish',
      dryRun: true,
    }),
  },
  {
    description:
      'Finish the move once every running pod uses EKS Pod Identity: the web identity statement, the role annotation and the mark go',
    example: step('Finish the move to EKS Pod Identity', {
      ...workload('catalog', 'catalog-api'),
      to: 'pod-identity',
      step: 'finish',
    }),
  },
  {
    description:
      'Move back to IRSA: start puts the web identity statement and the role annotation back (pods keep Pod Identity while the association is there); finish deletes the association, then restart the pods',
    example: step('Start the move back to IRSA', {
      ...workload('ledger', 'ledger-api'),
      to: 'irsa',
      step: 'start',
    }),
  },
];
