/** Review queues: where experts review verdicts, and how their reviews become feedback. */
export { openReviewStore, ReviewStore, type NewItem, type Placement, type ReviewInput, type ReviewToAlign, type ReviewStoreOptions } from './review-store.ts';
export { judgeItems, alignReviews, reviewFeedback, consensus, feedbackValuesOf, placementOf, type AlignOutcome, type JudgeProgress } from './workflow.ts';
export { reviewerAgreement, type ReviewerAgreement } from './agreement.ts';
export { placeOf, sameValue } from './priority.ts';
export type * from './types.ts';
export { ROLES } from './types.ts';
