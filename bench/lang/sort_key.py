# Sorting records with key functions: by one field, by two (a tuple as the key), in reverse, stably.
def main():
    x = 1
    people = []
    for i in range(40000):
        x = (x * 1103515245 + 12345) % 2147483648
        people.append({"name": f"p{x % 10007}", "score": (x // 7) % 1000, "age": 18 + x % 60, "id": i})
    by_score = sorted(people, key=lambda p: p["score"])
    by_name = sorted(people, key=lambda p: p["name"])
    by_both = sorted(people, key=lambda p: (-p["score"], p["name"]))
    people.sort(key=lambda p: p["age"], reverse=True)
    check = 0
    for i in range(0, len(people), 97):
        check = (check * 31 + by_score[i]["id"] + by_name[i]["id"] * 3 + by_both[i]["id"] * 5 + people[i]["id"] * 7) % 1000003
    return f"{by_score[0]['id']} {by_name[0]['name']} {by_both[0]['id']} {people[0]['id']} {check}"
