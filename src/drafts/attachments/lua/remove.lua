--[[
  Deletes an upload record, only while its stored offset is ARGV[2] unless that is ''.
  KEYS[1] uploads
  ARGV[1] upload id  ARGV[2] expected offset or ''
  Returns 1 when deleted, 0 otherwise.
  Mirrors: `remove` of createMemoryUploadRecords in src/drafts/attachments/records.ts
]]
local json = redis.call('HGET', KEYS[1], ARGV[1])
if not json then return 0 end
if ARGV[2] ~= '' and tonumber(cjson.decode(json).offset) ~= tonumber(ARGV[2]) then return 0 end
return redis.call('HDEL', KEYS[1], ARGV[1])
