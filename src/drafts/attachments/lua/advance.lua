--[[
  Replaces an upload record only while its stored offset is the expected one (compare-and-set).
  KEYS[1] uploads  KEYS[2] meta
  ARGV[1] upload id  ARGV[2] expected offset  ARGV[3] new record JSON
  Returns { 'advanced' } | { 'moved', stored record JSON } | { 'missing' }
]]
-- @include uploads
local json = redis.call('HGET', KEYS[1], ARGV[1])
if not json then return { 'missing' } end
if tonumber(cjson.decode(json).offset) ~= tonumber(ARGV[2]) then return { 'moved', json } end
redis.call('HSET', KEYS[1], ARGV[1], ARGV[3])
followDraft()
return { 'advanced' }
