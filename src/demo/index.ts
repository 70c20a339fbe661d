export { DEMO_REFERENCE_DATE, DEFAULT_DEMO_SEED, createDemoDataset, demoSizes } from './generate';
export type { DemoDataset, DemoOptions, DemoRow, DemoSizes, DemoValue } from './generate';
export { encodeDemoRow, encodeDemoValue, seedDemoSource } from './seed';
export type { SeedOptions, SeedResult } from './seed';
export { DEMO_SOURCES, DEMO_TABLES, demoTable, demoTablesOf } from './spec';
export type { ColumnKind, ColumnSpec, DemoSource, DemoTableName, TableSpec } from './spec';
export { addDemoConstraints, createDemoTables, demoDialectOf, dropDemoTables } from './tables';
export type { CreateDemoTablesOptions } from './tables';
export type { DemoDialect } from './tables';
