# A list built by appends, then map, filter and counting into a dict.
def main():
    xs = []
    for i in range(300000):
        xs.append(i)
    ys = list(filter(lambda x: x % 2 == 0, map(lambda x: x * 3, xs)))
    counts = {}
    for y in ys:
        k = y % 10
        counts[k] = counts.get(k, 0) + 1
    return f"{counts[0] + counts[2] + counts[4] + counts[6] + counts[8]}"
