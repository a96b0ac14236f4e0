/// Typed-throwing access to byte arrays (the standard library's `withUnsafeBytes` rethrows
/// untyped errors).
extension Array where Element == UInt8 {
    func withRawBytes<Result>(
        _ body: (UnsafeRawBufferPointer) throws(ObjectCodecError) -> Result
    ) throws(ObjectCodecError) -> Result {
        try withUnsafeBufferPointer { buffer throws(ObjectCodecError) in try body(UnsafeRawBufferPointer(buffer)) }
    }
}

/// An array of `count` bytes that `initialize` fills completely, without zeroing it first.
func uninitializedBytes(
    count: Int, _ initialize: (UnsafeMutableRawBufferPointer) throws(ObjectCodecError) -> Void
) throws(ObjectCodecError) -> [UInt8] {
    try uninitializedBytes(capacity: count) { buffer throws(ObjectCodecError) -> Int in
        try initialize(buffer)
        return count
    }
}

/// An array of up to `capacity` bytes; `initialize` fills a prefix and returns its length.
func uninitializedBytes(
    capacity: Int, _ initialize: (UnsafeMutableRawBufferPointer) throws(ObjectCodecError) -> Int
) throws(ObjectCodecError) -> [UInt8] {
    var failure: ObjectCodecError?
    let bytes = [UInt8](unsafeUninitializedCapacity: capacity) { buffer, initializedCount in
        do throws(ObjectCodecError) {
            initializedCount = try initialize(UnsafeMutableRawBufferPointer(buffer))
        } catch {
            failure = error
            initializedCount = 0
        }
    }
    if let failure { throw failure }
    return bytes
}
