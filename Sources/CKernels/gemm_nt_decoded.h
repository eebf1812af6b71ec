#ifndef GFN_GEMM_NT_DECODED_H
#define GFN_GEMM_NT_DECODED_H

// gemm_nt.c's panel kernel over a w that is decoded a tile at a time (quantized_gemm.c's blocks) instead
// of read in place: the decoded tile lives in L1 and is used by every panel of x before the next is made.

// Writes buf[i · ldb + p] = w[o + i, k0 + p] for i < g, p < kb (k0 and kb multiples of 32, or kb reaching
// k), and may prefetch the same stretch of the `prefetch` rows after them.
typedef void (*gfn_nt_row_decoder)(const void *ctx, long o, int g, long k0, long kb, float *buf, long ldb, long prefetch);

// The outputs of gfn_gemm_nt_packed for m ≥ 5 (AVX2+FMA only: the caller checks), bit for bit, with w's
// rows coming from `decode`. k blocks are whole multiples of 32 elements.
void gfn_gemm_nt_packed_decoded(long m, long n0, long n1, long k, float alpha, const float *xp,
                                gfn_nt_row_decoder decode, const void *ctx, float *y, long ldy);

#endif
