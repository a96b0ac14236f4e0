import Foundation
import Crypto

/// The lowercase hex SHA-256 of `bytes`: an object's identity, a request's content hash.
public func sha256Hex(_ bytes: [UInt8]) -> String {
    SHA256.hash(data: bytes).map { String(format: "%02x", $0) }.joined()
}
