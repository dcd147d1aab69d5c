--[[
  Replaces an upload record only while its stored offset is the expected one (compare-and-set),
  and, when a writer is given, only while that writer holds the upload's claim (then let go).
  KEYS[1] uploads  KEYS[2] meta  KEYS[3] the upload's claim (string: the writer)
  ARGV[1] upload id  ARGV[2] expected offset  ARGV[3] new record JSON  ARGV[4] writer ('' = none)
  Returns { 'advanced' } | { 'moved', stored record JSON } | { 'missing' }
  Mirrors: `advance` of createMemoryUploadRecords in src/drafts/attachments/records.ts
]]
-- @include uploads
local json = redis.call('HGET', KEYS[1], ARGV[1])
if not json then return { 'missing' } end
if tonumber(cjson.decode(json).offset) ~= tonumber(ARGV[2]) then return { 'moved', json } end
if ARGV[4] ~= '' then
  if redis.call('GET', KEYS[3]) ~= ARGV[4] then return { 'moved', json } end
  redis.call('DEL', KEYS[3])
end
redis.call('HSET', KEYS[1], ARGV[1], ARGV[3])
followDraft()
return { 'advanced' }
