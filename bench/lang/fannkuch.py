# fannkuch-redux: permutations of a list of ints, prefix reversals, a checksum.
def main():
    n = 8
    perm1 = list(range(n))
    count = [0] * n
    maxflips = 0
    checksum = 0
    permcount = 0
    r = n
    while True:
        while r != 1:
            count[r - 1] = r
            r -= 1
        perm = perm1.copy()
        flips = 0
        k = perm[0]
        while k != 0:
            i = 0
            j = k
            while i < j:
                t = perm[i]
                perm[i] = perm[j]
                perm[j] = t
                i += 1
                j -= 1
            flips += 1
            k = perm[0]
        if flips > maxflips:
            maxflips = flips
        if permcount % 2 == 0:
            checksum += flips
        else:
            checksum -= flips
        while True:
            if r == n:
                return f"{checksum} {maxflips}"
            p0 = perm1[0]
            for i in range(r):
                perm1[i] = perm1[i + 1]
            perm1[r] = p0
            count[r] -= 1
            if count[r] > 0:
                break
            r += 1
        permcount += 1
