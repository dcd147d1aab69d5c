--[[
  Replaces one room's live overrides and appends an audit entry, bumping the version.
  KEYS[1] settings (hash: room -> overrides JSON)  KEYS[2] version  KEYS[3] audit (list, newest first)
  ARGV[1] room  ARGV[2] overrides JSON ('' = none)  ARGV[3] audit entry JSON  ARGV[4] audit entries kept
  Returns the new version.
]]
if ARGV[2] == '' then
  redis.call('HDEL', KEYS[1], ARGV[1])
else
  redis.call('HSET', KEYS[1], ARGV[1], ARGV[2])
end
redis.call('LPUSH', KEYS[3], ARGV[3])
redis.call('LTRIM', KEYS[3], 0, tonumber(ARGV[4]) - 1)
return redis.call('INCR', KEYS[2])
