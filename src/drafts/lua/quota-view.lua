--[[
  What the counted drafts take now, expired ones no longer counted.
  KEYS[1] total  KEYS[2] charges  KEYS[3] expiry  KEYS[4] creators (see includes/quota.lua)
  ARGV[1] creators' key base
  Returns { total, counted drafts }
  Mirrors: `usage` of createMemoryDraftStore in src/drafts/memory-store.ts
]]
-- @include quota
prune(quotaNow())
return { total(), redis.call('HLEN', KEYS[2]) }
