import { createMemorySubmissionStore } from './memory-store.js';
import { submissionStoreContract } from './store.contract.js';

submissionStoreContract('memory', async () => ({ store: createMemorySubmissionStore() }));
