# String building: short pieces sliced, concatenated with += and joined, characters counted in a dict.
def main():
    names = ["alpha", "beta", "gamma", "delta", "epsilon", "zeta", "eta", "theta"]
    counts = {}
    total = 0
    pieces = []
    for i in range(30000):
        s = ""
        for k in range(4):
            s += names[(i * 7 + k * 3) % 8][0:3] + "-"
        s += str(i % 97)
        for ch in s:
            counts[ch] = counts.get(ch, 0) + 1
        total += len(s)
        if i % 100 == 0:
            pieces.append(s.upper())
    keys = sorted(counts.keys())
    summary = ",".join(map(lambda k: f"{k}{counts[k]}", keys))
    return f"{total} {len('/'.join(pieces))} {summary}"
