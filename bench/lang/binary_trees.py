# binary-trees: many short-lived trees of two-element lists, built and walked recursively.
def make(depth):
    if depth == 0:
        return [None, None]
    return [make(depth - 1), make(depth - 1)]

def check(t):
    if t[0] is None:
        return 1
    return 1 + check(t[0]) + check(t[1])

def main():
    maxdepth = 12
    out = []
    long = make(maxdepth)
    d = 4
    while d <= maxdepth:
        iterations = 2 ** (maxdepth - d + 4)
        c = 0
        for i in range(iterations):
            c += check(make(d))
        out.append(f"{iterations}:{d}:{c}")
        d += 2
    out.append(f"long:{check(long)}")
    return " ".join(out)
