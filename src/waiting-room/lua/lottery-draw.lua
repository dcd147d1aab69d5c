--[[
  lottery-draw: draws an event's lottery once. The entries (in the order computed from the seed
  by the caller, see src/waiting-room/lottery.ts) take the next tickets, behind everyone already
  in line, each seen now. A second draw changes nothing.
  KEYS[1..5]: as in includes/room.lua.  KEYS[6] lottery meta  KEYS[7] entries  KEYS[8] tickets
  ARGV[1..9]: as in includes/room.lua.  ARGV[10] seconds to keep the lottery  ARGV[11..] entries in order
  Returns: the number of tickets given.
]]
-- @include room
if redis.call('HGET', KEYS[6], 'drawn') == '1' or redis.call('EXISTS', KEYS[6]) == 0 then return 0 end
local limits = readLimits()
local now = nowMs()
local room = loadRoom(limits, now)
local known = {}
for _, entry in ipairs(redis.call('LRANGE', KEYS[7], 0, -1)) do known[entry] = true end
local given = 0
for i = 11, #ARGV do
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
