extension Array {
    /// At most `count` elements spread over the whole array, the first included, so every part
    /// of it is represented; all of them when `count` is not smaller than the array.
    public func evenlySpaced(_ count: Int) -> [Element] {
        guard count < self.count else { return self }
        return (0..<count).map { self[$0 * self.count / count] }
    }
}
