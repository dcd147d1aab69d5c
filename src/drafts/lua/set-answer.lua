--[[
  Sets the resume answer's hash for an owner.
  KEYS[1] meta  KEYS[2] owners
  ARGV[1] owner hash  ARGV[2] answer hash
  Returns 1, or 0 when the draft is missing or not owned.
  Mirrors: `setAnswer` of createMemoryDraftStore in src/drafts/memory-store.ts
]]
-- @include draft
if redis.call('EXISTS', KEYS[1]) == 0 or not isOwner(KEYS[2], ARGV[1]) then return 0 end
redis.call('HSET', KEYS[1], 'ans', ARGV[2])
return 1
