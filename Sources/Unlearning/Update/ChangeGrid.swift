import Foundation
import Kernels
import Model

/// The precision of an update's change, relative to its parent: every trained weight ends a
/// whole number of quanta away from the parent's, a quantum being 2^b units in the last
/// place of the parent weight, counted in `OrderedFloatBits` so that a quantum is the same
/// fraction of every weight of a binade; b is chosen per tensor (`quantumBits`, at most `bits`). The change is rounded stochastically (a change
/// of 0.3 quanta becomes 1 with probability 0.3, else 0), so it is unbiased; where the update
/// moved a weight by less than a quantum it most often keeps the parent's bits exactly.
///
/// Why: a dense AdamW update leaves noise in the low-order bits of every weight, which no
/// lossless coder compresses (docs/store.md). On the grid, the difference of the bit patterns
/// that a delta stores has b zero low-order bits and is small, so a version costs a
/// fraction of a full one; the version the gate measures is this rounded one, bit for bit.
public struct ChangeGrid: Sendable, Codable, Equatable {
    /// The coarsest quantum, 2^bits units in the last place: 16 leaves a change bfloat16's
    /// precision relative to the weight (2⁻⁷), 0 rounds nothing.
    public var bits: Int
    /// The fewest quanta a tensor's median change spans: a tensor that the update moved by less
    /// than `resolution` × 2^bits units gets a finer grid, so that rounding never drowns a
    /// small update (a learning rate of 2e-5 moves SmolLM2's weights by a quarter of a 16-bit
    /// quantum) in its own noise.
    public var resolution: Double

    public init(bits: Int, resolution: Double = 4) {
        self.bits = bits
        self.resolution = resolution
    }

    /// Float's 23 mantissa bits less one: a quantum stays below the weight's own magnitude.
    public static let bitRange = 0...22
    /// Changes sampled per tensor to find its median.
    static let medianSample = 4096

    /// The bits of the quantum for one tensor's change from `parent` to `parameters`: the most,
    /// at most `bits`, that keep its median change (on evenly spaced samples, in ordered-integer
    /// units, over the weights that changed: a sparse change, `ChangeDensity`, leaves most
    /// weights where they were, and their zeros would drown the median) at `resolution` quanta or more.
    public func quantumBits(_ parameters: UnsafeBufferPointer<Float>, parent: UnsafeBufferPointer<Float>) -> Int {
        precondition(parameters.count == parent.count, "a weight per parent weight")
        guard bits > 0, !parameters.isEmpty else { return 0 }
        let step = max(1, parameters.count / Self.medianSample)
        var changes = stride(from: 0, to: parameters.count, by: step).map { i in
            abs(Int64(OrderedFloatBits.key(parameters[i])) - Int64(OrderedFloatBits.key(parent[i])))
        }.filter { $0 != 0 }
        guard !changes.isEmpty else { return 0 }
        changes.sort()
        let median = Double(changes[changes.count / 2])
        guard median >= resolution * 2 else { return 0 }
        return min(bits, Int(Foundation.log2(median / resolution)))
    }

    /// Rounds each weight of `parameters` to the grid of 2^`bits` units around the matching one
    /// of `parent`, drawing from a generator seeded by `seed` and the weight's index
    /// `offset + i`, so the result does not depend on how the work is split between threads.
    /// `bits` is the tensor's own (`quantumBits`), not the grid's cap: hence static.
    public static func round(_ parameters: UnsafeMutableBufferPointer<Float>, parent: UnsafeBufferPointer<Float>, bits: Int, seed: UInt64,
                      offset: Int) {
        precondition(parameters.count == parent.count, "a weight per parent weight")
        guard bits > 0 else { return }
        let quantum = Int64(1) << Int64(bits)
        // The finite floats' ordered integers; a grid point beyond them is held to the last one.
        let largest = Int64(OrderedFloatBits.key(.greatestFiniteMagnitude)), smallest = Int64(OrderedFloatBits.key(-.greatestFiniteMagnitude))
        Parallelism.forEachChunk(of: parameters.count, minimumChunk: 1 << 15) { chunk in
            for i in chunk {
                let from = Int64(OrderedFloatBits.key(parent[i]))
                let change = Int64(OrderedFloatBits.key(parameters[i])) - from
                // floor(change / quantum) and the fraction left over, for negative changes too.
                let whole = change >> Int64(bits), fraction = change & (quantum - 1)
                var draw = SeededGenerator(seed: seed &+ UInt64(offset + i) &* 0xD1B5_4A32_D192_ED03)
                let up = Int64(draw.next() >> UInt64(64 - bits)) < fraction
                let key = min(largest, max(smallest, from + (whole + (up ? 1 : 0)) * quantum))
                parameters[i] = OrderedFloatBits.float(key: Int32(key))
            }
        }
    }
}
