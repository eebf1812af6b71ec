-- String building: short pieces sliced, concatenated and joined, characters counted in a table.
local function main()
  local names = {"alpha", "beta", "gamma", "delta", "epsilon", "zeta", "eta", "theta"}
  local counts = {}
  local total = 0
  local pieces = {}
  for i = 0, 29999 do
    local s = ""
    for k = 0, 3 do s = s .. string.sub(names[(i * 7 + k * 3) % 8 + 1], 1, 3) .. "-" end
    s = s .. tostring(i % 97)
    for ch in string.gmatch(s, ".") do counts[ch] = (counts[ch] or 0) + 1 end
    total = total + #s
    if i % 100 == 0 then pieces[#pieces + 1] = string.upper(s) end
  end
  local keys = {}
  for k in pairs(counts) do keys[#keys + 1] = k end
  table.sort(keys)
  local parts = {}
  for i, k in ipairs(keys) do parts[i] = k .. counts[k] end
  return total .. " " .. #table.concat(pieces, "/") .. " " .. table.concat(parts, ",")
end
