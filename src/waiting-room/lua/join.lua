--[[
  join: a visitor without a pass arrives. Admitted at once when a slot and a token are free and
  nobody is waiting; otherwise given the next ticket. While people wait, a newcomer cannot be
  admitted, so the ticket is taken without settling the room (the line advances on every tick and
  claim): two commands instead of a full settle, which keeps joins cheap during a surge.
  KEYS/ARGV[1..6]: as in includes/room.lua.  ARGV[7] visitor id.
  Returns: { 1, epoch } admitted | { 2, epoch, ticket, position } queued
]]
-- @include room
local line = redis.call('HMGET', KEYS[1], 'epoch', 'nextTicket', 'frontier')
if line[1] then
  local nextTicket = tonumber(line[2])
  local frontier = tonumber(line[3])
  if nextTicket - 1 - frontier > 0 then
    redis.call('HSET', KEYS[1], 'nextTicket', int(nextTicket + 1))
    return { 2, line[1], nextTicket, nextTicket - frontier }
  end
end
local limits = readLimits()
local now = nowMs()
local room = settle(limits, now)
local visitorId = ARGV[7]
if room.nextTicket - 1 - room.frontier == 0 and canAdmitNow(room, limits) then
  admit(room, limits, now, visitorId)
  saveRoom(room)
  return { 1, room.epoch }
end
local ticket = room.nextTicket
room.nextTicket = ticket + 1
advance(room, limits, now)
saveRoom(room)
local position = 0
if ticket > room.frontier then position = ticket - room.frontier end
return { 2, room.epoch, ticket, position }
