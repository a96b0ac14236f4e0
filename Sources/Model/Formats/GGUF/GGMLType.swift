/// The ggml tensor types a GGUF file can name, with the block layout the reader needs to size a
/// tensor's data: `blockSize` values are stored in `blockByteCount` bytes (ggml's type traits).
/// Every known type can be read and sized; `GGUFDequantize` says which ones become Float32.
public enum GGMLType: UInt32, Sendable, CaseIterable {
    case f32 = 0, f16 = 1, q4_0 = 2, q4_1 = 3, q5_0 = 6, q5_1 = 7, q8_0 = 8, q8_1 = 9
    case q2_K = 10, q3_K = 11, q4_K = 12, q5_K = 13, q6_K = 14, q8_K = 15
    case iq2_XXS = 16, iq2_XS = 17, iq3_XXS = 18, iq1_S = 19, iq4_NL = 20, iq3_S = 21, iq2_S = 22, iq4_XS = 23
    case i8 = 24, i16 = 25, i32 = 26, i64 = 27, f64 = 28, iq1_M = 29, bf16 = 30
    case tq1_0 = 34, tq2_0 = 35, mxfp4 = 39

    /// Values per super-block of the K-quants.
    static let kBlockSize = 256

    /// ggml's spelling (F32, Q4_K, IQ2_XXS): the case name in upper case.
    public var name: String { "\(self)".uppercased() }

    public var blockSize: Int {
        switch self {
        case .f32, .f16, .bf16, .i8, .i16, .i32, .i64, .f64: 1
        case .q4_0, .q4_1, .q5_0, .q5_1, .q8_0, .q8_1, .iq4_NL, .mxfp4: 32
        default: Self.kBlockSize
        }
    }

    public var blockByteCount: Int {
        let k = Self.kBlockSize
        return switch self {
        case .f32, .i32: 4
        case .f16, .bf16, .i16: 2
        case .i8: 1
        case .i64, .f64: 8
        case .q4_0, .iq4_NL: 2 + 16
        case .q4_1: 2 + 2 + 16
        case .q5_0: 2 + 4 + 16
        case .q5_1: 2 + 2 + 4 + 16
        case .q8_0: 2 + 32
        case .q8_1: 4 + 4 + 32
        case .q2_K: 2 + 2 + k / 16 + k / 4
        case .q3_K: 2 + k / 4 + k / 8 + 12
        case .q4_K: 2 + 2 + k / 2 + 12
        case .q5_K: 2 + 2 + k / 2 + k / 8 + 12
        case .q6_K: 2 + k / 2 + k / 4 + k / 16
        case .q8_K: 4 + k + k / 8
        case .iq2_XXS: 2 + k / 4
        case .iq2_XS: 2 + k / 4 + k / 32
        case .iq3_XXS: 2 + k / 4 + k / 8
        case .iq1_S: 2 + k / 8 + k / 16
        case .iq3_S: 2 + k / 4 + k / 8 + k / 32 + 4
        case .iq2_S: 2 + k / 4 + k / 16
        case .iq4_XS: 2 + 2 + k / 2 + k / 64
        case .iq1_M: k / 8 + k / 16 + k / 32
        case .tq1_0: 2 + 4 * 13
        case .tq2_0: 2 + 64
        case .mxfp4: 1 + 16
        }
    }
}
