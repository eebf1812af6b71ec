# Dicts as records: made in a loop, fields read and written, grouped and aggregated.
def main():
    recs = []
    for i in range(40000):
        recs.append({"id": i, "name": f"item{i}", "price": (i % 100) * 1.25, "qty": i % 7, "tags": ["a", "b"]})
    total = 0.0
    by_qty = {}
    for r in recs:
        r["total"] = r["price"] * r["qty"]
        total += r["total"]
        q = r["qty"]
        by_qty[q] = by_qty.get(q, 0) + 1
        if r["total"] > 500:
            r["tags"].append("big")
    big = 0
    names = 0
    for r in recs:
        if len(r["tags"]) == 3:
            big += 1
        names += len(r["name"])
    return f"{total:.2f} {big} {names} {by_qty[0]} {by_qty[6]}"
