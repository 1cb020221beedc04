import Crypto
import Fluent
import Foundation
import SQLKit
import Vapor

/// Counts attempts per key in a sliding window, in the primary database so that every app
/// server sees the same counts (P10, P12). Keys (emails, client addresses) are stored only as
/// HMACs under the secret key.
///
/// An attempt is recorded *before* it is counted, and the count includes it, so parallel
/// requests cannot all read "under the limit" and pass together: of N simultaneous attempts
/// at most `limit.count` are let through.
struct Throttle: Sendable {
    enum Bucket: String {
        case loginAccount = "login_account"
        case loginAddress = "login_address"
        case signupAddress = "signup_address"
        case resetAddress = "reset_address"
        case resetAccount = "reset_account"
        case passwordCheck = "password_check"
        case addressCheck = "address_check"
        case twoFactor = "two_factor"
        /// Text messages sent to one phone number (the outbox worker).
        case textNumber = "text_number"
        /// Partner-API calls by one caller (`sub`).
        case apiCaller = "api_caller"
    }

    /// One recorded attempt: whether it was within the limit, and its row, so a success can
    /// be taken back (failure buckets count failures only).
    struct Attempt: Sendable {
        let id: Int?
        let allowed: Bool
    }

    let database: any Database
    let secret: String

    /// Records an attempt by `key` and says whether it is within `limit` (counting itself).
    /// A refused attempt is taken back at once, so a pause ends when the oldest allowed
    /// attempt leaves the window instead of being extended by every refused one.
    func attempt(_ bucket: Bucket, _ key: String, _ limit: RateLimit, now: Date = Date()) async throws -> Attempt {
        let row = ThrottleEvent(bucket: bucket.rawValue, keyHash: hash(key), occurredAt: now)
        try await row.create(on: database)
        let count = try await ThrottleEvent.query(on: database)
            .filter(\.$bucket == bucket.rawValue)
            .filter(\.$keyHash == row.keyHash)
            .filter(\.$occurredAt > now.addingTimeInterval(-limit.window))
            .count()
        guard count <= limit.count else {
            try await forget(row.id)
            return Attempt(id: nil, allowed: false)
        }
        return Attempt(id: row.id, allowed: true)
    }

    /// Takes back an attempt that turned out not to count (a correct password).
    func forget(_ id: Int?) async throws {
        guard let id else { return }
        try await ThrottleEvent.query(on: database).filter(\.$id == id).delete()
    }

    func clear(_ bucket: Bucket, _ key: String) async throws {
        try await ThrottleEvent.query(on: database)
            .filter(\.$bucket == bucket.rawValue).filter(\.$keyHash == hash(key)).delete()
    }

    /// Deletes attempts older than `cutoff` (run by `getyour jobs`); returns how many.
    func purge(before cutoff: Date) async throws -> Int {
        let old = ThrottleEvent.query(on: database).filter(\.$occurredAt < cutoff)
        let count = try await old.count()
        try await old.delete()
        return count
    }

    private func hash(_ key: String) -> String {
        let code = HMAC<SHA256>.authenticationCode(for: Data(key.utf8), using: SymmetricKey(data: Data(secret.utf8)))
        return Data(code).hexString
    }
}

final class ThrottleEvent: Model, @unchecked Sendable {
    static let schema = "throttle_events"

    @ID(custom: "id", generatedBy: .database) var id: Int?
    @Field(key: "bucket") var bucket: String
    @Field(key: "key_hash") var keyHash: String
    @Field(key: "occurred_at") var occurredAt: Date

    init() {}

    init(bucket: String, keyHash: String, occurredAt: Date) {
        self.bucket = bucket
        self.keyHash = keyHash
        self.occurredAt = occurredAt
    }
}

extension Request {
    var throttle: Throttle {
        Throttle(database: db(.primary), secret: application.settings.security.secretKey)
    }

    /// Records an attempt against a per-address limit and refuses the request (429, logged
    /// as a security event) when the address is past it.
    func limitPerAddress(_ bucket: Throttle.Bucket, _ limit: RateLimit) async throws {
        guard try await throttle.attempt(bucket, clientAddress, limit).allowed else {
            securityEvent(.throttled, reason: bucket.rawValue)
            throw Abort(.tooManyRequests)
        }
    }
}
