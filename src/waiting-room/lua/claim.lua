--[[
  claim: a ticket holder asks whether their turn has come. A called ticket's reservation becomes
  the visitor's session; a lapsed ticket is admitted if a slot and a token are free now, else it
  stays first in line; a ticket of another epoch or long expired is unknown.
  KEYS/ARGV[1..6]: as in includes/room.lua.  ARGV[7] ticket number  ARGV[8] ticket epoch
  ARGV[9] visitor id.
  Returns: { 1 } admitted | { 2, position } queued | { 3 } unknown
]]
-- @include room
local limits = readLimits()
local now = nowMs()
local room = settle(limits, now)
local ticket = tonumber(ARGV[7])
local visitorId = ARGV[9]
local result
if ARGV[8] ~= room.epoch or ticket < 1 or ticket >= room.nextTicket then
  result = { 3 }
elseif ticket > room.frontier then
  result = { 2, ticket - room.frontier }
else
  local member = 't:' .. int(ticket)
  local sessionUntil = int(now + limits.idleMs)
  if redis.call('ZSCORE', KEYS[2], visitorId) then
    redis.call('ZADD', KEYS[2], sessionUntil, visitorId)
    result = { 1 }
  elseif redis.call('ZREM', KEYS[2], member) == 1 then
    redis.call('ZADD', KEYS[2], sessionUntil, visitorId)
    result = { 1 }
  elseif redis.call('ZSCORE', KEYS[3], member) then
    if canAdmitNow(room, limits) then
      redis.call('ZREM', KEYS[3], member)
      admit(room, limits, now, visitorId)
      result = { 1 }
    else
      result = { 2, 1 }
    end
  else
    result = { 3 }
  end
end
saveRoom(room)
return result
