export {
  CloudTrailWindows,
  type CloudTrailWindowsOptions,
} from './CloudTrailWindows';
export {
  FleetSnapshot,
  type AccountSnapshot,
  type FleetComponent,
  type FleetSnapshotGatherOptions,
  type NamespaceSnapshot,
} from './FleetSnapshot';
export { FleetVerifier, type FleetVerifierOptions } from './FleetVerifier';
export { snapshotIrsaService } from './snapshotIrsaService';
