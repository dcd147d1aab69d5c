--[[
  Gives an owner's draft a new resume code (the caller reserved the new locator with SET NX).
  KEYS[1] meta  KEYS[2] fields  KEYS[3] owners
  ARGV[1] owner hash  ARGV[2] new locator  ARGV[3] code secret hash  ARGV[4] sealed code
  Returns false when missing or not owned; else { old locator, meta... }
  Mirrors: `renewCodeOf` in src/drafts/core.ts (through `renewCode` of createMemoryDraftStore in src/drafts/memory-store.ts)
]]
-- @include draft
if redis.call('EXISTS', KEYS[1]) == 0 or not isOwner(KEYS[3], ARGV[1]) then return false end
local old = redis.call('HGET', KEYS[1], 'loc')
redis.call('HSET', KEYS[1], 'loc', ARGV[2], 'codeh', ARGV[3], 'code', ARGV[4], 'fail', 0, 'locref', nowMs())
local reply = metaReply(KEYS[1], KEYS[2])
table.insert(reply, 1, old)
return reply
