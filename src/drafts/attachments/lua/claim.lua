--[[
  Lets one writer write an upload's bytes at an offset for a while (a lease), when the record's
  offset is still that one and no other writer holds it.
  KEYS[1] uploads  KEYS[2] meta  KEYS[3] the upload's claim (string: the writer)
  ARGV[1] upload id  ARGV[2] offset  ARGV[3] writer  ARGV[4] leaseMs
  Returns { 'claimed' } | { 'moved', stored record JSON } | { 'busy', stored record JSON } | { 'missing' }
  Mirrors: `claim` of createMemoryUploadRecords in src/drafts/attachments/records.ts
]]
local json = redis.call('HGET', KEYS[1], ARGV[1])
if not json then return { 'missing' } end
if tonumber(cjson.decode(json).offset) ~= tonumber(ARGV[2]) then return { 'moved', json } end
local holder = redis.call('GET', KEYS[3])
if holder and holder ~= ARGV[3] then return { 'busy', json } end
redis.call('SET', KEYS[3], ARGV[3], 'PX', tonumber(ARGV[4]))
return { 'claimed' }
