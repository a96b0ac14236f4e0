/// Float32 bit patterns as integers that order like the floats they hold: a negative pattern
/// has its 31 magnitude bits flipped, so read as two's complement −0 is −1, +0 is 0, and every
/// step of one is one unit in the last place. The map is its own inverse. An update's change
/// grid (`ChangeGrid`) is laid out in these integers, and the store's deltas of such updates
/// take their differences in them.
public enum OrderedFloatBits {
    @inlinable
    public static func integer(_ pattern: UInt32) -> UInt32 { pattern ^ ((0 &- (pattern >> 31)) & 0x7FFF_FFFF) }

    /// The ordered integer of `value`, signed.
    @inlinable
    public static func key(_ value: Float) -> Int32 { Int32(bitPattern: integer(value.bitPattern)) }

    /// The float whose ordered integer is `key`.
    @inlinable
    public static func float(key: Int32) -> Float { Float(bitPattern: integer(UInt32(bitPattern: key))) }
}
