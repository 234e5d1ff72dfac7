import { openPostgresStore } from '../../src/store/postgres/postgres-store.ts';
import { openReviewStore } from '../../src/review/review-store.ts';
import { reviewStoreContract } from './contract.ts';
import { pgSkip, usePostgres } from '../fixtures/postgres.ts';

const server = usePostgres();
let n = 0;

if (!pgSkip) {
  reviewStoreContract('postgres review store', async () => {
    const schema = `review_${++n}`;
    const memory = await openPostgresStore(server().url, { schema, listen: false });
    const reviews = await openReviewStore(memory);
    const others: { close(): Promise<void> }[] = [];
    return {
      reviews,
      second: async () => { const m = await openPostgresStore(server().url, { schema, listen: false }); others.push(m); return openReviewStore(m); },
      close: async () => { await reviews.close(); await memory.close(); await Promise.all(others.map((o) => o.close())); },
    };
  });
}
