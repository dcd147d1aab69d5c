--[[
  Adds an upload record when the draft exists and still has room for it.
  KEYS[1] uploads  KEYS[2] meta
  ARGV[1] upload id  ARGV[2] record JSON  ARGV[3] Upload-Length  ARGV[4] maxFiles  ARGV[5] maxTotalBytes
  Returns { 'created' } | { 'too-many-files', files, bytes } | { 'too-many-bytes', files, bytes }
        | { 'draft-gone' }
  Mirrors: `create` of createMemoryUploadRecords (with `usage` and `overLimit`) in src/drafts/attachments/records.ts
]]
-- @include uploads
if redis.call('EXISTS', KEYS[2]) == 0 then return { 'draft-gone' } end
local files, bytes = 0, 0
for _, json in ipairs(redis.call('HVALS', KEYS[1])) do
  files = files + 1
  bytes = bytes + tonumber(cjson.decode(json).size)
end
if files + 1 > tonumber(ARGV[4]) then return { 'too-many-files', files, bytes } end
if bytes + tonumber(ARGV[3]) > tonumber(ARGV[5]) then return { 'too-many-bytes', files, bytes } end
redis.call('HSET', KEYS[1], ARGV[1], ARGV[2])
followDraft()
return { 'created' }
