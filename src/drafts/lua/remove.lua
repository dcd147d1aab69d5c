--[[
  Deletes a draft for an owner.
  KEYS[1] meta  KEYS[2] fields  KEYS[3] sizes  KEYS[4] owners  KEYS[5] uploads
  ARGV[1] owner hash  ARGV[2] base revision ('' = any)
  Returns { 'removed', locator } | { 'missing' } | { 'stale', revision }
  Mirrors: `removalOf` in src/drafts/core.ts (through `remove` of createMemoryDraftStore in src/drafts/memory-store.ts)
]]
-- @include draft
if redis.call('EXISTS', KEYS[1]) == 0 or not isOwner(KEYS[4], ARGV[1]) then return { 'missing' } end
local m = redis.call('HMGET', KEYS[1], 'rev', 'loc')
if ARGV[2] ~= '' and tonumber(m[1]) ~= tonumber(ARGV[2]) then return { 'stale', tonumber(m[1]) } end
redis.call('DEL', KEYS[1], KEYS[2], KEYS[3], KEYS[4], KEYS[5])
return { 'removed', m[2] }
