export type { Governance } from './Governance';
