/**
 * Backend plugin `irsa` of IRSA for Backstage: the IAM report REST API,
 * stored reports and scheduled fleet re-verification.
 *
 * @packageDocumentation
 */
export { irsaPlugin as default } from './plugin';
export type { ReportStore } from './service/ReportStore';
