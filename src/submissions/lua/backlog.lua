--[[
  Counts a room's submissions that are not delivered yet.
  KEYS[1] stream  KEYS[2] dead letters
  ARGV[1] group
  Returns { waiting, delivering, retrying, dead }
]]
local dead = redis.call('ZCARD', KEYS[2])
if redis.call('EXISTS', KEYS[1]) == 0 then return { 0, 0, 0, dead } end
local length = redis.call('XLEN', KEYS[1])
local summary = redis.pcall('XPENDING', KEYS[1], ARGV[1])
if type(summary) == 'table' and summary.err then return { length, 0, 0, dead } end
local pending = tonumber(summary[1]) or 0
local retrying = 0
if summary[4] then
  for _, owner in ipairs(summary[4]) do
    if owner[1] == '~retry' then retrying = tonumber(owner[2]) end
  end
end
return { length - pending, pending - retrying, retrying, dead }
