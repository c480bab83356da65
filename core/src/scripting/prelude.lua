-- lode's script VM prelude: runs once, when the VM is built, after the libraries and the redis
-- table are registered and before anything else. It installs the pieces of Redis 7's sandbox
-- that are easiest to state in Lua: the error handler every script runs under, Redis's pcall,
-- and the read-only globals. Redis gets read-only
-- tables from a patched Lua; lode runs stock Lua 5.1, so read-only tables are empty proxies whose
-- metatable reads through to the real table and refuses writes, and the builtins that could go
-- around a metatable (rawset, setmetatable, rawget, next, pairs, ipairs) know about proxies.
--
-- Chunks of lode's own are named "=lode": the error handler skips their frames, so an error is
-- reported at the line of the user's script, as Redis reports it.

local errtext = ...
local getinfo = debug.getinfo
local G = _G
local type, tostring, error, select = type, tostring, error, select
local raw_rawget, raw_rawset, raw_next = rawget, rawset, next
local raw_setmetatable, raw_getmetatable, raw_pcall = setmetatable, getmetatable, pcall

-- Globals Redis does not offer.
G.debug, G.print, G.dofile, G.loadfile = nil, nil, nil, nil

local function readonly()
  error('Attempt to modify a readonly table', 2)
end

-- proxy -> the table it stands for.
local real = raw_setmetatable({}, { __mode = 'k' })

local function unproxy(t)
  return real[t] or t
end

-- The error handler of every script and function: any error becomes a table with `err`, and
-- the position of the user's code that raised it.
local function handler(err)
  local level, info = 2, getinfo(2, 'nSl')
  while info and (info.what == 'C' or info.source == '=lode') do
    level = level + 1
    info = getinfo(level, 'nSl')
  end
  if type(err) == 'userdata' then
    -- Raised by Rust code: a redis error (redis.call's, SCRIPT KILL's) is final; a library's
    -- message already carries the position luaL_error would give it.
    local msg, final, counted = errtext(err)
    if final then
      err = { err = msg, ignore_error_stats_update = counted }
    else
      err = { err = 'ERR ' .. msg }
    end
  elseif type(err) ~= 'table' then
    err = { err = 'ERR ' .. tostring(err) }
  end
  if info then
    err.source = info.source
    err.line = info.currentline
  end
  return err
end
G.__redis__err__handler = handler

-- Redis's pcall hands back a redis error's text rather than its table.
local function settle(ok, ...)
  if ok then
    return ok, ...
  end
  local e = ...
  if type(e) == 'userdata' then
    e = (errtext(e))
  elseif type(e) == 'table' then
    local text = raw_rawget(e, 'err')
    if type(text) == 'string' or type(text) == 'number' then
      e = text
    end
  end
  return false, e
end
G.pcall = function(...)
  return settle(raw_pcall(...))
end

-- Precompiled bytecode is never loaded (Lua 5.1 does not verify it): loadstring and load
-- refuse it as a chunk that failed to compile.
local raw_loadstring, raw_load = loadstring, load
local function binary(s)
  return type(s) == 'string' and s:byte(1) == 27
end
G.loadstring = function(s, name)
  if binary(s) then
    return nil, 'attempt to load a binary chunk'
  end
  return raw_loadstring(s, name)
end
G.load = function(reader, name)
  local first = true
  local function checked()
    local piece = reader()
    if first then
      first = false
      if binary(piece) then
        error('attempt to load a binary chunk', 0)
      end
    end
    return piece
  end
  if type(reader) ~= 'function' then
    return raw_load(reader, name)
  end
  return raw_load(checked, name)
end

G.rawset = function(t, k, v)
  if real[t] or t == G then
    error('Attempt to modify a readonly table', 0)
  end
  return raw_rawset(t, k, v)
end
G.setmetatable = function(t, mt)
  if real[t] or t == G then
    error('Attempt to modify a readonly table', 0)
  end
  return raw_setmetatable(t, mt)
end
G.rawget = function(t, k)
  return raw_rawget(unproxy(t), k)
end
G.next = function(t, k)
  return raw_next(unproxy(t), k)
end
G.pairs = function(t)
  return raw_next, unproxy(t), nil
end
local function inext(t, i)
  i = i + 1
  local v = t[i]
  if v ~= nil then
    return i, v
  end
end
G.ipairs = function(t)
  return inext, unproxy(t), 0
end

-- A read-only stand-in for `t` (tables inside it become read-only too).
local function protect(t, seen)
  if real[t] then
    return t
  end
  if seen[t] then
    return seen[t]
  end
  local proxy = {}
  seen[t] = proxy
  for k, v in raw_next, t do
    if type(v) == 'table' and v ~= G then
      raw_rawset(t, k, protect(v, seen))
    end
  end
  local mt = { __index = t, __newindex = readonly }
  mt.__metatable = raw_setmetatable({}, { __index = mt, __newindex = readonly, __metatable = false })
  real[mt.__metatable] = mt
  raw_setmetatable(proxy, mt)
  real[proxy] = t
  return proxy
end

-- The metatables of strings (and any other basic type that has one) become read-only.
local function protect_metatable(value)
  local mt = raw_getmetatable(value)
  if type(mt) == 'table' then
    local view = raw_setmetatable({}, { __index = mt, __newindex = readonly, __metatable = false })
    real[view] = mt
    mt.__metatable = view
  end
end
protect_metatable('')

-- The globals move to `R`; `_G` itself stays empty, reads through to `R`, refuses writes, and
-- reading a global that does not exist is an error. The engine sets KEYS and ARGV in `R`.
local R = {}
for k, v in raw_next, G do
  R[k] = v
end
for k in raw_next, R do
  G[k] = nil
end
local seen = {}
for k, v in raw_next, R do
  if type(v) == 'table' and k ~= '_G' then
    R[k] = protect(v, seen)
  end
end
R._G = G
raw_setmetatable(R, {
  __index = function(_, name)
    error("Script attempted to access nonexistent global variable '" .. tostring(name) .. "'", 2)
  end,
})
local gmt = { __index = R, __newindex = readonly }
gmt.__metatable = raw_setmetatable({}, { __index = gmt, __newindex = readonly, __metatable = false })
real[gmt.__metatable] = gmt
real[G] = R
raw_setmetatable(G, gmt)

-- Runs `f` under the error handler: EVAL's chunk with no arguments, a function with its keys
-- and arguments. Returns ok and the first result (or the error table).
local raw_xpcall = xpcall
local function invoke(f, keys, args)
  if keys == nil then
    return raw_xpcall(f, handler)
  end
  return raw_xpcall(function()
    return f(keys, args)
  end, handler)
end
return R, invoke
