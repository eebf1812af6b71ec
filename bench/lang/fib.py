# Naive recursion: fib(30) with two calls per level.
def fib(n):
    if n < 2:
        return n
    return fib(n - 1) + fib(n - 2)

def main():
    return f"{fib(30)}"
