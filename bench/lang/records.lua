-- Tables as records: made in a loop, fields read and written, grouped and aggregated.
local function main()
  local recs = {}
  for i = 0, 39999 do
    recs[#recs + 1] = {id = i, name = "item" .. i, price = (i % 100) * 1.25, qty = i % 7, tags = {"a", "b"}}
  end
  local total = 0.0
  local by_qty = {}
  for _, r in ipairs(recs) do
    r.total = r.price * r.qty
    total = total + r.total
    local q = r.qty
    by_qty[q] = (by_qty[q] or 0) + 1
    if r.total > 500 then r.tags[#r.tags + 1] = "big" end
  end
  local big, names = 0, 0
  for _, r in ipairs(recs) do
    if #r.tags == 3 then big = big + 1 end
    names = names + #r.name
  end
  return string.format("%.2f %d %d %d %d", total, big, names, by_qty[0], by_qty[6])
end
