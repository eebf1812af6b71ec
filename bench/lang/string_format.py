# String formatting: ints and floats with widths, precisions, alignment and exponents.
def main():
    total = 0
    last = ""
    for i in range(40000):
        x = i * 0.37
        name = "run"
        line = f"{name:<5}|{i:6d}|{x:10.3f}|{x / 7 + 1:.2e}|{i % 13:>4}|{x:.1f}"
        total += len(line)
        last = line
    return f"{total} {last}"
