export { catalogEntries, createRowEstimates, type CatalogEntry, type CatalogField, type CatalogFilter, type CatalogSourceInfo, type FieldAccessLevel } from './catalog';
