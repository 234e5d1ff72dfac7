/**
 * memalign — LLM judges aligned with domain experts through a dual memory.
 * The one public entry: the CLI, the server and the web app use only what is exported here.
 */
export type * from './core/types.ts';
export { VERSION } from './version.ts';
export * from './core/errors.ts';
export { parseJudge, queryFieldsOf, DEFAULT_MEMORY } from './core/judge/definition.ts';
export { checkValue, verdictSchema, kindLabels, describeKind } from './core/judge/output-kind.ts';
export { templateVariables } from './core/judge/template.ts';
export { parseFeedback, parseRecord, type FeedbackSource } from './core/feedback/parse-feedback.ts';
export { resolveFeedback, type Resolution } from './core/feedback/resolve.ts';
export { recordContentKey } from './core/feedback/identity.ts';
export type { LogEntry, MemoryOperation, MemoryState } from './core/memory/operations.ts';
export { loadJudge, parseJudgeText } from './io/load-judge.ts';

export { openMemalign, Memalign, type MemalignOptions, type AlignOptions, type EditOptions } from './engine/memalign.ts';
export type { MemoryChangeReport } from './engine/apply-plan.ts';
export type { MemalignEvent } from './engine/loaded-memory.ts';
export type { MemoryExport } from './engine/memory-export.ts';
export { DEFAULT_DISTILL, type DistillSettings } from './engine/distill.ts';
export { fileCheckpoint, type AlignCheckpoint } from './engine/checkpoint.ts';

export type { MemoryStore, MemoryOverview, LogQuery, StoredMemory, StoredVector } from './store/memory-store.ts';
export { openSqliteStore, type SqliteStoreOptions } from './store/sqlite/sqlite-store.ts';
export { openStore, type OpenStoreOptions } from './store/open-store.ts';
export { openPostgresStore, type PostgresStore, type PostgresStoreOptions } from './store/postgres/postgres-store.ts';
export { isPostgresUrl, redactUrl } from './store/postgres/connection.ts';

export type { ChatModel, ChatRequest, ChatResponse, JsonSchema } from './model/chat-model.ts';
export { aiSdkChatModel } from './model/ai-sdk-model.ts';
export { openaiChatModel, type OpenAIChatModelOptions } from './model/openai-chat-model.ts';
export { resolveModel, modelIdOf, PROVIDER_KEYS, MODEL_PREFIXES } from './model/resolve-model.ts';
export { costOf, type PriceOverrides } from './model/pricing.ts';
export { withRetry } from './model/retry.ts';

export type { Embedder } from './embed/embedder.ts';
export { hashedEmbedder } from './embed/hashed-embedder.ts';
export { cachedEmbedder } from './embed/cached-embedder.ts';
export { aiSdkEmbedder } from './embed/ai-sdk-embedder.ts';
export { openaiEmbedder, type OpenAIEmbedderOptions } from './embed/openai-embedder.ts';
export { resolveEmbedder } from './embed/resolve-embedder.ts';
export { EpisodeIndex, type IndexedEpisode, type RecallHit, type RecallOptions } from './recall/episode-index.ts';
export { recordText } from './recall/query-text.ts';

export { readTable, parseTable, rowIssue, MAX_FIELD_CHARS, type TableRow } from './io/read-table.ts';
export { parseCsv, type CsvRow } from './io/csv.ts';
export { parseMapping, checkMapping, rowToFeedback, rowToRecord, type Mapping } from './io/map-row.ts';

export { exactMatch, cohensKappa, linCcc, confusionMatrix, fleissKappa, krippendorffAlpha } from './eval/metrics.ts';
export { agreementReport, formatReport, type AgreementReport, type LabelledResult } from './eval/agreement-report.ts';

export { llamaCppChatModel, type LlamaCppModelOptions } from './local/llama-cpp-model.ts';
export { llamaCppEmbedder } from './local/llama-cpp-embedder.ts';
export { localModelSupport } from './local/llama-runtime.ts';
export { readGgufMetadata } from './local/gguf-header.ts';
export { recordingModel, replayModel, requestKey, recordingFetch, replayFetch } from './model/cassette.ts';

export { createBatch, getBatch, batchStatus, listBatches, cancelBatch, retryBatch, batchResults, deleteBatch, type BatchInfo, type BatchStatus, type BatchResultLine, type CreateBatchOptions } from './batch/batches.ts';
export { startJobEngine, JUDGE_QUEUE, type JobTimings } from './batch/job-engine.ts';
export { runWorker, type WorkerOptions, type WorkerEvent, type WorkerReport } from './batch/worker.ts';
export { sharedRateLimit, rateLimitedModel, type SharedRateLimit } from './batch/rate-limit.ts';
export * from './review/index.ts';
export { createClient, ApiError, type ClientOptions, type MemalignClient, type JobEvent as ClientJobEvent } from './client/client.ts';
