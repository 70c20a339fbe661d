export { loadConfig, validateYaml, type LoadedConfig } from './loadConfig';
export { configSchema, DIALECTS, type Dialect, type DatagateConfig, type SourceConfig, type LimitsConfig, type LimitValues, type ServerConfig, LIMIT_DEFAULTS, type IdentityConfig, type MaskingConfig, type MetadataConfig, type AuditConfig, type AccessConfig, type QualityConfig, type CacheConfig } from './schema';
export { parseDuration } from './duration';
export { readYamlFile, parseYaml, pathToString, type YamlFile } from './yamlFile';
