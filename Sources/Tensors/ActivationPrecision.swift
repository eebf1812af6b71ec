/// How activations enter products with weights kept in GGUF blocks (`Tensor.linear(quantized:activations:)`).
///
/// `.float32` (the default) multiplies float32 activations with the dequantised weights: results equal the float32
/// path up to summation order. `.q8` is an opt-in approximation for decoding: each row of x is quantised to 8-bit
/// blocks of 32 (a float scale max|x|/127 per block) and multiplied with Q4_0/Q4_1/Q8_0/Q6_K blocks by exact integer
/// dot products (CKernels' quantized_gemm_q8.c), which reads less and computes less per weight; its error is x's
/// rounding (at most half a step of its block's scale an element), measured for SmolLM2 in docs/lm-runtime.md. It
/// applies to products of up to `quantizedFewRows` (4) rows with those block types, where decoding each weight block
/// for one to four rows of x is what the float32 kernels spend their time on; from 5 rows up the float32 panel kernel
/// decodes a block once for up to 64 rows and these integer kernels (a block unpacked per 4 rows, a scale product and a
/// float accumulation per block and row) measured slower, so other products (more rows, F16/BF16 weights) keep
/// float32 activations. Gradients, where recorded, are the float32 path's (dx = g·W).
public enum ActivationPrecision: String, Sendable, CaseIterable {
    case float32 = "f32"
    case q8
}
