import { uploadRecordsContract } from './records.contract.js';
import { createMemoryUploadRecords } from './records.js';

uploadRecordsContract('memory', async () => ({ records: createMemoryUploadRecords() }));
