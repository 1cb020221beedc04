import Crypto
import Foundation
import Vapor

/// bcrypt with the cost from settings, run on the hashing threads (`HashingThreads`) so a
/// slow hash never blocks an event loop, a file read or page rendering. bcrypt reads only 72 bytes, so the password is first reduced to a
/// fixed-length SHA-256 digest (base64, 44 bytes): every character counts (P10).
struct PasswordHasher: Sendable {
    let cost: Int
    let threads: HashingThreads
    /// A hash of a random value at the same cost, only used to burn time on unknown emails.
    let decoyHash: String

    init(cost: Int, threads: HashingThreads = .shared) throws {
        self.cost = cost
        self.threads = threads
        self.decoyHash = try Bcrypt.hash(UUID().uuidString, cost: cost)
    }

    func hash(_ password: String) async throws -> String {
        let input = Self.prehash(password)
        let cost = self.cost
        return try await threads.run { try Bcrypt.hash(input, cost: cost) }
    }

    func verify(_ password: String, against hash: String) async throws -> Bool {
        // Accounts without a password yet (a staff member's link not used) store a value
        // that is not a bcrypt hash: it never matches, and must not throw.
        guard hash.hasPrefix("$2") else {
            await verifyNothing(password)
            return false
        }
        let input = Self.prehash(password)
        return try await threads.run { try Bcrypt.verify(input, created: hash) }
    }

    /// Spends the same time as a real check, so an unknown email cannot be told apart by timing.
    func verifyNothing(_ password: String) async {
        _ = try? await verify(password, against: decoyHash)
    }

    static func prehash(_ password: String) -> String {
        Data(SHA256.hash(data: Data(password.utf8))).base64EncodedString()
    }
}
