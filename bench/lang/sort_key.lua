-- Sorting records with key functions: table.sort is not stable, so ties fall back to the
-- original position (what Python's and gfn's stable sorts give).
local function sorted(xs, key, reverse)
  local decorated = {}
  for i, v in ipairs(xs) do decorated[i] = {key(v), i, v} end
  table.sort(decorated, function(a, b)
    local ka, kb = a[1], b[1]
    if ka ~= kb then if reverse then return ka > kb else return ka < kb end end
    return a[2] < b[2]
  end)
  local out = {}
  for i, d in ipairs(decorated) do out[i] = d[3] end
  return out
end

local function main()
  local x = 1
  local people = {}
  for i = 0, 39999 do
    x = (x * 1103515245 + 12345) % 2147483648
    people[#people + 1] = {name = "p" .. (x % 10007), score = (x // 7) % 1000, age = 18 + x % 60, id = i}
  end
  local by_score = sorted(people, function(p) return p.score end)
  local by_name = sorted(people, function(p) return p.name end)
  -- A two-field key as one string that orders like (-score, name): 999 - score padded, then the name.
  local by_both = sorted(people, function(p) return string.format("%03d", 999 - p.score) .. p.name end)
  people = sorted(people, function(p) return p.age end, true)
  local check = 0
  for i = 1, #people, 97 do
    check = (check * 31 + by_score[i].id + by_name[i].id * 3 + by_both[i].id * 5 + people[i].id * 7) % 1000003
  end
  return by_score[1].id .. " " .. by_name[1].name .. " " .. by_both[1].id .. " " .. people[1].id .. " " .. check
end
