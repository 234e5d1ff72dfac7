/** The benchmark harness: the MemAlign quality protocol and the speed measurements. */
export { runQualityBench, type QualityOptions, type QualityRun, type StageResult, type SetMetrics } from './quality.ts';
export { runSpeedBench, timedModel, type SpeedOptions, type AlignSpeed, type JudgeSpeed } from './speed.ts';
export { summarise, spread, type SummaryRow, type Spread } from './summary.ts';
export { qualityReport } from './report.ts';
export { plotSpecs, renderPlots } from './plots.ts';
export { METHODS, type BenchMethod } from './methods.ts';
export { DATASETS } from './datasets/registry.ts';
export { splitRows, shards } from './split.ts';
export type { DatasetAdapter, LabelledRow } from './datasets/adapter.ts';
export { gepaBaseline, axEndpoint, type AxEndpoint, type GepaCost } from './gepa.ts';
