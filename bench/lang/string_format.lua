-- String formatting: ints and floats with widths, precisions, alignment and exponents.
local function main()
  local total = 0
  local last = ""
  for i = 0, 39999 do
    local x = i * 0.37
    local name = "run"
    local line = string.format("%-5s|%6d|%10.3f|%.2e|%4d|%.1f", name, i, x, x / 7 + 1, i % 13, x)
    total = total + #line
    last = line
  end
  return total .. " " .. last
end
