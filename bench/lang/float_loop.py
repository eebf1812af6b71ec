# A float accumulator in a 3-million-iteration loop.
def main():
    s = 0.0
    for i in range(3000000):
        s += i * 0.5
    return f"{s:.1f}"
