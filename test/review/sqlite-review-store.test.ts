import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { openReviewStore } from '../../src/review/review-store.ts';
import { reviewStoreContract } from './contract.ts';

reviewStoreContract('sqlite review store', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'memalign-review-'));
  const file = join(dir, 'memory.db');
  const reviews = await openReviewStore(file);
  return { reviews, second: () => openReviewStore(file), close: async () => { await reviews.close(); rmSync(dir, { recursive: true, force: true }); } };
});
