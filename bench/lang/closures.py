# Closures and higher-order functions: functions made in a loop, composed, a counter closure,
# map, filter and reduce with lambdas.
from functools import reduce

def make_adder(n):
    return lambda x: x + n

def compose(f, g):
    return lambda x: f(g(x))

def make_counter():
    count = 0
    def inc():
        nonlocal count
        count += 1
        return count
    return inc

def main():
    total = 0
    inc = make_counter()
    for i in range(60000):
        add = make_adder(i % 10)
        twice = compose(add, add)
        total += twice(i)
        inc()
    xs = list(range(200000))
    ys = list(filter(lambda x: x % 3 == 0, map(lambda x: x * 2, xs)))
    s = reduce(lambda a, b: a + b, ys, 0)
    return f"{total} {inc()} {len(ys)} {s}"
