export { EntityIrsaCard } from './EntityIrsaCard';
