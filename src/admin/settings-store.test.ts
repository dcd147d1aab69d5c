import { settingsStoreContract } from './settings-store.contract.js';
import { createMemorySettingsStore } from './settings-store.js';

settingsStoreContract('memory', async () => {
  const store = createMemorySettingsStore();
  return { store, other: store };
});
