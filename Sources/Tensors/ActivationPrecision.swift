/// How activations enter products with weights kept in GGUF blocks (`Tensor.linear(quantized:activations:)`).
///
/// `.float32` (the default) multiplies float32 activations with the dequantised weights: results equal the float32
/// path up to summation order. `.q8` is an opt-in approximation for decoding: each row of x is quantised to 8-bit
/// blocks of 32 (a float scale max|x|/127 per block) and multiplied with Q4_0/Q4_1/Q8_0/Q6_K blocks by exact integer
/// dot products (CKernels' quantized_gemm_q8.c), which reads less and computes less per weight; its error is x's
/// rounding (at most half a step of its block's scale an element), measured for SmolLM2 in docs/lm-runtime.md. It
/// applies to products of up to `quantizedFewRows` (4) rows with those block types (each weight block unpacked once
/// for the rows, two blocks a step for Q4_0/Q4_1), and of 5–`quantizedPanelRowsLimit` (64) rows with Q4_0/Q4_1/Q8_0
/// blocks (x repacked into panels of 8 rows, each weight block unpacked once for 16 rows); other products (Q6_K from
/// 5 rows, F16/BF16 weights, more rows) keep float32 activations. Gradients, where recorded, are the float32 path's
/// (dx = g·W).
public enum ActivationPrecision: String, Sendable, CaseIterable {
    case float32 = "f32"
    case q8
}
