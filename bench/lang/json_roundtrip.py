# JSON round trip: a list of records written as JSON text, parsed back, compared and summed.
import json

def main():
    rows = []
    for i in range(6000):
        rows.append({"id": i, "name": f"row {i}", "score": i * 0.5, "tags": ["x", "y", str(i % 5)],
                     "ok": i % 2 == 0, "parent": None, "pos": {"x": i % 17, "y": i % 23}})
    text = json.dumps(rows)
    back = json.loads(text)
    ids = 0
    score = 0.0
    oks = 0
    tags = 0
    for r in back:
        ids += r["id"]
        score += r["score"]
        if r["ok"]:
            oks += 1
        tags += len(r["tags"]) + r["pos"]["x"]
    again = json.loads(json.dumps(back))
    return f"{str(back == rows).lower()} {str(again == rows).lower()} {ids} {score:.1f} {oks} {tags}"
