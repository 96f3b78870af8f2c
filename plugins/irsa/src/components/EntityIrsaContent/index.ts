export { EntityIrsaContent } from './EntityIrsaContent';
