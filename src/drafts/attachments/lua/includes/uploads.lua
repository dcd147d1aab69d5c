--[[
  Shared by the upload record scripts (inlined at "-- @include uploads").
  KEYS[1] is the draft's uploads hash (upload id -> record JSON), KEYS[2] the draft's meta hash;
  both carry the draft's hash tag {d:<id>}.
  Mirrors: the records' life in src/drafts/attachments/records.ts (in memory they stay until `removeAll`; `isExpired` judges them)
]]

-- Gives the uploads hash the draft's remaining life, so records go when the draft goes.
local function followDraft()
  local ttl = redis.call('PTTL', KEYS[2])
  if ttl > 0 then redis.call('PEXPIRE', KEYS[1], ttl) end
end
