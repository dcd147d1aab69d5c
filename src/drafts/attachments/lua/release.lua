--[[
  Lets go of an upload's claim, when the writer still holds it.
  KEYS[1] the upload's claim (string: the writer)
  ARGV[1] writer
  Returns 1 when let go, 0 otherwise.
  Mirrors: `release` of createMemoryUploadRecords in src/drafts/attachments/records.ts
]]
if redis.call('GET', KEYS[1]) == ARGV[1] then return redis.call('DEL', KEYS[1]) end
return 0
