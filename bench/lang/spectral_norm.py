# Spectral norm of A(i, j) = 1 / ((i + j)(i + j + 1) / 2 + i + 1) by the power method.
from math import sqrt

def a(i, j):
    return 1.0 / ((i + j) * (i + j + 1) // 2 + i + 1)

def times(v, u, transposed):
    n = len(u)
    for i in range(n):
        s = 0.0
        for j in range(n):
            if transposed:
                s += a(j, i) * u[j]
            else:
                s += a(i, j) * u[j]
        v[i] = s

def times_ata(v, u, tmp):
    times(tmp, u, False)
    times(v, tmp, True)

def main():
    n = 120
    u = [1.0] * n
    v = [0.0] * n
    tmp = [0.0] * n
    for k in range(10):
        times_ata(v, u, tmp)
        times_ata(u, v, tmp)
    vbv = vv = 0.0
    for i in range(n):
        vbv += u[i] * v[i]
        vv += v[i] * v[i]
    return f"{sqrt(vbv / vv):.9f}"
