/**
 * `memalign serve`: the HTTP API and the review web app. Depends on the library's public API only
 * (../index.ts); nothing in the library depends on it.
 */
export { createApp, type AppOptions, SESSION_COOKIE } from './app.ts';
export { startServer, isLoopback, type ServerOptions, type RunningServer } from './server.ts';
export { ReviewService, dispatchJudgeEvent, type ServiceOptions, type ItemView, type VersionDiff } from './service.ts';
export { hashPassword, verifyPassword, newSecret, secretHash } from './auth.ts';
