--[[
  Stops counting a draft (deleted, or its creation did not happen).
  KEYS[1] total  KEYS[2] charges  KEYS[3] expiry  KEYS[4] creators (see includes/quota.lua)
  ARGV[1] creators' key base  ARGV[2] draft id
  Returns the total.
  Mirrors: `drop` of createMemoryDraftStore in src/drafts/memory-store.ts
]]
-- @include quota
forget(ARGV[2])
return total()
