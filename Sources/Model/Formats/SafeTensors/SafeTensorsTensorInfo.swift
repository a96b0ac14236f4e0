/// Where one tensor lives in a safetensors file and how to interpret its bytes.
public struct SafeTensorsTensorInfo: Equatable, Sendable {
    public let name: String
    public let dtype: SafeTensorsDType
    /// Row-major dimensions; empty for a scalar.
    public let shape: [Int]
    /// The product of `shape`, checked against overflow when the header was read.
    public let elementCount: Int
    /// Byte offsets relative to the start of the data section, not the file.
    public let byteRange: Range<Int>
}
