--[[
  Reads a draft for an owner.
  KEYS[1] meta  KEYS[2] fields  KEYS[3] owners
  ARGV[1] owner hash  ARGV[2] with fields (1/0)
  Returns false when missing or not owned; else { meta..., fields as HGETALL (when asked) }
  Mirrors: `read`/`readMeta` of createMemoryDraftStore in src/drafts/memory-store.ts (with `metaOf` in src/drafts/core.ts)
]]
-- @include draft
if redis.call('EXISTS', KEYS[1]) == 0 or not isOwner(KEYS[3], ARGV[1]) then return false end
local reply = metaReply(KEYS[1], KEYS[2])
if ARGV[2] == '1' then table.insert(reply, redis.call('HGETALL', KEYS[2])) end
return reply
