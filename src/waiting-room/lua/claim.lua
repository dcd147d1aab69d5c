--[[
  claim: a ticket holder asks whether their turn has come. A called ticket's reservation becomes
  the visitor's session; a lapsed ticket is admitted if a slot and a token are free now, else it
  stays first in line; a ticket of another epoch or long expired is unknown. In a line resumed after
  Redis lost its data, a signed ticket past the remembered end is proof it was issued: the line grows to it;
  and a called ticket whose held slot was lost with the data counts as lapsed (first in line).
  A skipped (abandoned) or lapsed ticket whose holder is back but finds no free slot joins the
  returned list, served before the next new ticket.
  KEYS/ARGV[1..9]: as in includes/room.lua.  ARGV[10] ticket number  ARGV[11] ticket epoch
  ARGV[12] visitor id.  KEYS[6] bindings hash (visitor -> "<binding>|<redeemed ms>|<generation>")
  ARGV[13] the client's binding ("" = none: nothing recorded or checked)  ARGV[14] redeem-again window ms.
  With a binding, the first redemption records it (generation 0); a ticket redeemed before is
  admitted again only for the same binding within the window, else spent. Each redemption also
  drops up to 3 random bindings of sessions that no longer hold a slot (so the hash follows the sessions).
  Returns: { 1 } admitted | { 1, 1 } admitted again (the visitor held a session already)
    | { 2, position } queued | { 3 } unknown | { 4 } spent (redeemed by another client, or too long ago)
  Mirrors: `claim` in src/waiting-room/core.ts, and the bindings of `claim` of createMemoryWaitingRoomStore in src/waiting-room/memory-store.ts
]]
-- @include room
local limits = readLimits()
local now = nowMs()
local room = settle(limits, now)
local ticket = tonumber(ARGV[10])
local visitorId = ARGV[12]
local result
if ARGV[11] == room.epoch and ticket >= room.nextTicket and recentlyRestored(room, limits, now) then
  room.nextTicket = ticket + 1
  room.active = redis.call('ZCARD', KEYS[2])
end
if ARGV[11] ~= room.epoch or ticket < 1 or ticket >= room.nextTicket then
  result = { 3 }
elseif ticket > room.frontier then
  result = { 2, ticket - room.frontier }
else
  local member = 't:' .. int(ticket)
  local sessionUntil = int(now + limits.idleMs)
  if redis.call('ZSCORE', KEYS[2], visitorId) then
    redis.call('ZADD', KEYS[2], sessionUntil, visitorId)
    result = { 1, 1 }
  elseif redis.call('ZREM', KEYS[2], member) == 1 then
    redis.call('ZADD', KEYS[2], sessionUntil, visitorId)
    result = { 1 }
  else
    local skipped = getSeen(ticket) == SKIPPED
    local returned = redis.call('ZSCORE', KEYS[5], member)
    local lapsed = redis.call('ZSCORE', KEYS[3], member) or recentlyRestored(room, limits, now)
    if not skipped and not returned and not lapsed then
      result = { 3 }
    elseif not returned and canAdmitNow(room, limits) then
      redis.call('ZREM', KEYS[3], member)
      if skipped then setSeen(ticket, USED) end
      admit(room, limits, now, visitorId)
      result = { 1 }
    else
      if not returned then
        redis.call('ZREM', KEYS[3], member)
        if skipped then setSeen(ticket, USED) end
        redis.call('ZADD', KEYS[5], int(now), member)
      end
      result = { 2, redis.call('ZRANK', KEYS[5], member) + 1 }
    end
  end
end
local binding = ARGV[13] or ''
if binding ~= '' and result[1] == 1 then
  local known = redis.call('HGET', KEYS[6], visitorId)
  if result[2] == 1 and known then
    local sep = string.find(known, '|', 1, true)
    local rest = string.sub(known, sep + 1)
    local redeemedAt = tonumber(string.sub(rest, 1, (string.find(rest, '|', 1, true) or 0) - 1))
    if string.sub(known, 1, sep - 1) ~= binding or now - redeemedAt > tonumber(ARGV[14]) then result = { 4 } end
  else
    redis.call('HSET', KEYS[6], visitorId, binding .. '|' .. int(now) .. '|0')
    redis.call('PEXPIRE', KEYS[6], int(limits.idleMs * 2 + tonumber(ARGV[14])))
    local sample = redis.call('HRANDFIELD', KEYS[6], 3)
    for _, other in ipairs(sample) do
      if not redis.call('ZSCORE', KEYS[2], other) then redis.call('HDEL', KEYS[6], other) end
    end
  end
end
saveRoom(room)
return result
