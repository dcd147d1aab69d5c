--[[
  ended: the passes listed as ended (end.lua) or superseded (rebind.lua) after a cursor, still
  within their lifetime, on the Redis clock.
  KEYS[1] ended stream.  ARGV[1] cursor (a stream id; "-" for the whole list)  ARGV[2] most entries.
  Returns: { cursor, visitor, generation ("*" = all), remaining ms, visitor, ... } where cursor is
  the last entry read (the cursor given when there was none).
  Mirrors: `endedSince` of createMemoryWaitingRoomStore in src/waiting-room/memory-store.ts
]]
local t = redis.call('TIME')
local now = tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)
local from = ARGV[1] == '-' and '-' or '(' .. ARGV[1]
local entries = redis.call('XRANGE', KEYS[1], from, '+', 'COUNT', tonumber(ARGV[2]))
local out = { ARGV[1] }
for _, entry in ipairs(entries) do
  out[1] = entry[1]
  local fields = {}
  for i = 1, #entry[2], 2 do fields[entry[2][i]] = entry[2][i + 1] end
  local remaining = tonumber(fields.u or '0') - now
  if remaining > 0 and fields.v then
    table.insert(out, fields.v)
    table.insert(out, fields.g or '*')
    table.insert(out, string.format('%d', remaining))
  end
end
return out
