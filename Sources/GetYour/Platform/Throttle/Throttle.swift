import Crypto
import Fluent
import Foundation
import SQLKit
import Vapor

/// Counts attempts per key in a sliding window, in the primary database so that every app
/// server sees the same counts (P10, P12). Keys (emails, client addresses) are stored only as
/// HMACs under the secret key.
struct Throttle: Sendable {
    enum Bucket: String {
        case loginAccount = "login_account"
        case loginAddress = "login_address"
        case signupAddress = "signup_address"
        case resetAddress = "reset_address"
        case addressCheck = "address_check"
    }

    let database: any Database
    let secret: String

    /// How many attempts `key` made in the last `window`.
    func count(_ bucket: Bucket, _ key: String, within window: TimeInterval, now: Date = Date()) async throws -> Int {
        try await ThrottleEvent.query(on: database)
            .filter(\.$bucket == bucket.rawValue)
            .filter(\.$keyHash == hash(key))
            .filter(\.$occurredAt > now.addingTimeInterval(-window))
            .count()
    }

    /// Whether `key` has used up `limit`.
    func isExceeded(_ bucket: Bucket, _ key: String, _ limit: RateLimit, now: Date = Date()) async throws -> Bool {
        try await count(bucket, key, within: limit.window, now: now) >= limit.count
    }

    func record(_ bucket: Bucket, _ key: String, now: Date = Date()) async throws {
        try await ThrottleEvent(bucket: bucket.rawValue, keyHash: hash(key), occurredAt: now).create(on: database)
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
        return Data(code).map { String(format: "%02x", $0) }.joined()
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
    /// The client's address for rate limits: the socket peer, or the proxy's
    /// `X-Forwarded-For` when `app.behind_proxy` says one sets it.
    var clientAddress: String {
        if application.settings.behindProxy,
            let forwarded = headers.first(name: .xForwardedFor)?.split(separator: ",").first
        {
            return forwarded.trimmingCharacters(in: .whitespaces)
        }
        return remoteAddress?.ipAddress ?? "unknown"
    }

    var throttle: Throttle {
        Throttle(database: db(.primary), secret: application.settings.security.secretKey)
    }
}
