-- Word count: a generated text split into lines and words, counted in a table, the most common
-- words found with a sort.
local function main()
  local vocab = {"the", "of", "and", "Gradient", "flow", "network", "reward", "policy", "sample", "token",
                 "model", "loss", "batch", "train", "step", "value", "prior", "posterior", "Entropy", "tempered"}
  local x = 42
  local lines = {}
  for i = 1, 20000 do
    local words = {}
    for k = 1, 12 do
      x = (x * 1103515245 + 12345) % 2147483648
      words[#words + 1] = vocab[(x // 65536) % 20 + 1]
    end
    lines[#lines + 1] = table.concat(words, " ")
  end
  local text = table.concat(lines, "\n")
  local counts, n, total = {}, 0, 0
  for line in string.gmatch(text, "[^\n]+") do
    for w in string.gmatch(line, "%S+") do
      w = string.lower(w)
      local c = counts[w]
      if c == nil then n = n + 1; counts[w] = 1 else counts[w] = c + 1 end
      total = total + 1
    end
  end
  local top = {}
  for w, c in pairs(counts) do top[#top + 1] = {w, c} end
  table.sort(top, function(a, b) if a[2] ~= b[2] then return a[2] > b[2] end return a[1] < b[1] end)
  local parts = {}
  for i = 1, 5 do parts[i] = top[i][1] .. "=" .. top[i][2] end
  return total .. " " .. n .. " " .. table.concat(parts, " ")
end
