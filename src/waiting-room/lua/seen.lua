--[[
  seen: the holders of these waiting tickets asked for news now; renews their last-seen time so
  they are not skipped as abandoned. Tickets already called (or unknown) are left alone.
  KEYS/ARGV[1..9]: as in includes/room.lua.  ARGV[10..] ticket numbers.
  Returns: the number of tickets renewed.
  Mirrors: `markSeen` in src/waiting-room/core.ts
]]
-- @include room
local line = redis.call('HMGET', KEYS[1], 'nextTicket', 'frontier')
if not line[1] then return 0 end
local nextTicket = tonumber(line[1])
local frontier = tonumber(line[2])
local seconds = math.floor(nowMs() / 1000)
local args = {}
for i = 10, #ARGV do
  local ticket = tonumber(ARGV[i])
  if ticket and ticket > frontier and ticket < nextTicket then
    table.insert(args, 'SET')
    table.insert(args, 'u32')
    table.insert(args, '#' .. int(ticket))
    table.insert(args, seconds)
  end
end
if #args > 0 then redis.call('BITFIELD', KEYS[4], unpack(args)) end
return #args / 4
