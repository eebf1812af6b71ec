# Word count: a generated text split into lines and words, counted in a dict, the most common
# words found with a sort on a key.
def main():
    vocab = ["the", "of", "and", "Gradient", "flow", "network", "reward", "policy", "sample", "token",
             "model", "loss", "batch", "train", "step", "value", "prior", "posterior", "Entropy", "tempered"]
    x = 42
    lines = []
    for i in range(20000):
        words = []
        for k in range(12):
            x = (x * 1103515245 + 12345) % 2147483648
            words.append(vocab[(x // 65536) % 20])
        lines.append(" ".join(words))
    text = "\n".join(lines)
    counts = {}
    total = 0
    for line in text.split("\n"):
        for w in line.split():
            w = w.lower()
            counts[w] = counts.get(w, 0) + 1
            total += 1
    top = sorted(counts.items(), key=lambda p: (-p[1], p[0]))
    parts = []
    for p in top[0:5]:
        parts.append(f"{p[0]}={p[1]}")
    return f"{total} {len(counts)} " + " ".join(parts)
