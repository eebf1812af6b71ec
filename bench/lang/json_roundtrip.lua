-- JSON round trip: Lua has no JSON in its standard library, so a small encoder and decoder in
-- Lua (as a Lua user would carry one); arrays are tables with a length, nil is a sentinel.
local null = setmetatable({}, {__tostring = function() return "null" end})

local encode
local function encode_string(s)
  return '"' .. s:gsub('[%c"\\]', function(c)
    local map = {['"'] = '\\"', ['\\'] = '\\\\', ['\n'] = '\\n', ['\t'] = '\\t', ['\r'] = '\\r'}
    return map[c] or string.format("\\u%04x", c:byte())
  end) .. '"'
end
encode = function(v, out)
  local t = type(v)
  if v == null then out[#out + 1] = "null"
  elseif t == "boolean" then out[#out + 1] = v and "true" or "false"
  elseif t == "number" then
    if math.type(v) == "integer" then out[#out + 1] = string.format("%d", v)
    else out[#out + 1] = string.format("%.17g", v) end
  elseif t == "string" then out[#out + 1] = encode_string(v)
  elseif #v > 0 or next(v) == nil then
    out[#out + 1] = "["
    for i = 1, #v do
      if i > 1 then out[#out + 1] = ", " end
      encode(v[i], out)
    end
    out[#out + 1] = "]"
  else
    out[#out + 1] = "{"
    local first = true
    for k, x in pairs(v) do
      if not first then out[#out + 1] = ", " end
      first = false
      out[#out + 1] = encode_string(k)
      out[#out + 1] = ": "
      encode(x, out)
    end
    out[#out + 1] = "}"
  end
end
local function to_json(v) local out = {} encode(v, out) return table.concat(out) end

local function parse_json(s)
  local pos = 1
  local value
  local function skip() pos = s:find("[^ \t\r\n]", pos) or #s + 1 end
  local function str()
    local out = {}
    pos = pos + 1
    while true do
      local a, b = s:find('["\\]', pos)
      out[#out + 1] = s:sub(pos, a - 1)
      if s:sub(a, a) == '"' then pos = a + 1 break end
      local e = s:sub(a + 1, a + 1)
      local map = {n = "\n", t = "\t", r = "\r", ['"'] = '"', ['\\'] = '\\', ['/'] = '/'}
      if e == "u" then out[#out + 1] = utf8.char(tonumber(s:sub(a + 2, a + 5), 16)); pos = a + 6
      else out[#out + 1] = map[e]; pos = a + 2 end
    end
    return table.concat(out)
  end
  value = function()
    skip()
    local c = s:sub(pos, pos)
    if c == "{" then
      local t = {}
      pos = pos + 1
      skip()
      if s:sub(pos, pos) == "}" then pos = pos + 1 return t end
      while true do
        skip()
        local k = str()
        skip()
        pos = pos + 1 -- ':'
        t[k] = value()
        skip()
        local d = s:sub(pos, pos)
        pos = pos + 1
        if d == "}" then return t end
      end
    elseif c == "[" then
      local t = {}
      pos = pos + 1
      skip()
      if s:sub(pos, pos) == "]" then pos = pos + 1 return t end
      while true do
        t[#t + 1] = value()
        skip()
        local d = s:sub(pos, pos)
        pos = pos + 1
        if d == "]" then return t end
      end
    elseif c == '"' then return str()
    elseif s:sub(pos, pos + 3) == "true" then pos = pos + 4 return true
    elseif s:sub(pos, pos + 4) == "false" then pos = pos + 5 return false
    elseif s:sub(pos, pos + 3) == "null" then pos = pos + 4 return null
    else
      local a, b = s:find("^-?%d+%.?%d*[eE]?[-+]?%d*", pos)
      local text = s:sub(a, b)
      pos = b + 1
      return math.tointeger(tonumber(text)) and not text:find("[.eE]") and math.tointeger(tonumber(text)) or tonumber(text) + 0.0
    end
  end
  return value()
end

local function equal(a, b)
  if type(a) ~= "table" or type(b) ~= "table" then return a == b end
  if a == null or b == null then return a == b end
  for k, v in pairs(a) do if not equal(v, b[k]) then return false end end
  for k in pairs(b) do if a[k] == nil then return false end end
  return true
end

local function main()
  local rows = {}
  for i = 0, 5999 do
    rows[#rows + 1] = {id = i, name = "row " .. i, score = i * 0.5, tags = {"x", "y", tostring(i % 5)},
                       ok = i % 2 == 0, parent = null, pos = {x = i % 17, y = i % 23}}
  end
  local text = to_json(rows)
  local back = parse_json(text)
  local ids, score, oks, tags = 0, 0.0, 0, 0
  for _, r in ipairs(back) do
    ids = ids + r.id
    score = score + r.score
    if r.ok then oks = oks + 1 end
    tags = tags + #r.tags + r.pos.x
  end
  local again = parse_json(to_json(back))
  return string.format("%s %s %d %.1f %d %d", tostring(equal(back, rows)), tostring(equal(again, rows)), ids, score, oks, tags)
end
