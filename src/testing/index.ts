/**
 * Test doubles for memalign users' own tests (and ours): a scripted chat model, a deterministic
 * responder that understands memalign's requests, and a loopback OpenAI-compatible server.
 */
export { mockChatModel, providerFailure, type MockChatModel, type MockChatModelOptions } from './mock-model.ts';
export { mockRespond } from './mock-responder.ts';
export { startLoopbackServer, type LoopbackServer, type LoopbackOptions, type Fault, type ChatCompletionRequest, type RecordedRequest } from './loopback-server.ts';
export { instanceOfSchema } from './schema-instance.ts';
export { writeTinyGguf, type TinyGgufOptions } from './tiny-gguf.ts';
export { mockEmbedder, type MockEmbedder } from './mock-embedder.ts';
export { startPostgres, postgresBinaries, type ThrowawayPostgres, type ThrowawayPostgresOptions } from './throwaway-postgres.ts';
