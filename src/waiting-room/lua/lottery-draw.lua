--[[
  lottery-draw: draws an event's lottery once. The entries (in the order computed from the seed
  by the caller, see src/waiting-room/lottery.ts) take the next tickets, behind everyone already
  in line, each seen now, and the lottery takes no more entries. A second draw changes nothing.
  If the list holds a different number of entries than the order was computed from, nothing is
  drawn and the caller reads again.
  KEYS[1..5]: as in includes/room.lua.  KEYS[6] lottery meta  KEYS[7] entries  KEYS[8] tickets
  ARGV[1..9]: as in includes/room.lua.  ARGV[10] seconds to keep the lottery
  ARGV[11] number of distinct entries the order was computed from  ARGV[12..] entries in order
  Returns: the number of tickets given, or -1 when the entries changed.
  Mirrors: `drawLottery` in src/waiting-room/core.ts
]]
-- @include room
if redis.call('HGET', KEYS[6], 'drawn') == '1' then return 0 end
if redis.call('EXISTS', KEYS[6]) == 0 then
  redis.call('HSET', KEYS[6], 'drawn', '1')
  redis.call('EXPIRE', KEYS[6], ARGV[10])
  return 0
end
local limits = readLimits()
local now = nowMs()
local room = loadRoom(limits, now)
local known = {}
local distinct = 0
for _, entry in ipairs(redis.call('LRANGE', KEYS[7], 0, -1)) do
  if not known[entry] then distinct = distinct + 1 end
  known[entry] = true
end
if distinct ~= tonumber(ARGV[11]) then return -1 end
local given = 0
for i = 12, #ARGV do
  local entry = ARGV[i]
  if known[entry] then
    known[entry] = nil
    redis.call('HSET', KEYS[8], entry, int(takeTicket(room, now)))
    given = given + 1
  end
end
redis.call('HSET', KEYS[6], 'drawn', '1')
redis.call('EXPIRE', KEYS[6], ARGV[10])
redis.call('EXPIRE', KEYS[7], ARGV[10])
if given > 0 then redis.call('EXPIRE', KEYS[8], ARGV[10]) end
saveRoom(room)
return given
