--[[
  Replaces one room's live overrides and appends an audit entry, bumping the version, if the
  version is still the one the caller's change was made on (else nothing is written).
  KEYS[1] settings (hash: room -> overrides JSON)  KEYS[2] version  KEYS[3] audit (list, newest first)
  ARGV[1] room  ARGV[2] overrides JSON ('' = none)  ARGV[3] audit entry JSON  ARGV[4] audit entries kept
  ARGV[5] the version the change was made on
  Returns the new version, or -1 when the version has moved on (the caller reloads and tries again).
  Mirrors: `save` of createMemorySettingsStore in src/admin/settings-store.ts
]]
if tonumber(redis.call('GET', KEYS[2]) or '0') ~= tonumber(ARGV[5]) then return -1 end
if ARGV[2] == '' then
  redis.call('HDEL', KEYS[1], ARGV[1])
else
  redis.call('HSET', KEYS[1], ARGV[1], ARGV[2])
end
redis.call('LPUSH', KEYS[3], ARGV[3])
redis.call('LTRIM', KEYS[3], 0, tonumber(ARGV[4]) - 1)
return redis.call('INCR', KEYS[2])
