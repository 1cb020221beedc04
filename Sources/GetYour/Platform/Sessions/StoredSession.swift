import Fluent
import Foundation
import SQLKit

/// A signed-in (or signing-up) browser, stored in the primary database so any app server
/// can serve any request. The cookie carries a random token; only its SHA-256 is stored,
/// so a copy of the table cannot be replayed as cookies.
final class StoredSession: Model, @unchecked Sendable {
    static let schema = "sessions"

    @ID(custom: "id", generatedBy: .user) var id: String?
    @OptionalField(key: "user_id") var userID: UUID?
    @Field(key: "data") var data: [String: String]
    @Field(key: "created_at") var createdAt: Date
    @Field(key: "last_seen_at") var lastSeenAt: Date

    init() {}

    init(tokenHash: String, userID: UUID?, data: [String: String], now: Date) {
        self.id = tokenHash
        self.userID = userID
        self.data = data
        self.createdAt = now
        self.lastSeenAt = now
    }
}

extension StoredSession {
    /// Signs a person out everywhere except, optionally, the current browser.
    static func deleteAll(for userID: UUID, except keptHash: String? = nil, on db: any Database) async throws {
        let query = StoredSession.query(on: db).filter(\.$userID == userID)
        if let keptHash { query.filter(\.$id != keptHash) }
        try await query.delete()
    }

    /// Removes sessions past their absolute or idle lifetime (run by `getyour jobs`).
    /// Returns how many were removed.
    static func purgeExpired(idle: TimeInterval, absolute: TimeInterval, now: Date, on db: any Database) async throws -> Int {
        let expired = StoredSession.query(on: db)
            .group(.or) {
                $0.filter(\.$lastSeenAt < now.addingTimeInterval(-idle))
                    .filter(\.$createdAt < now.addingTimeInterval(-absolute))
            }
        let count = try await expired.count()
        try await expired.delete()
        return count
    }
}

/// The stored session a request reads, through SQLKit: every signed-in request reads one, and
/// Fluent's model decoding (reflection over the model's properties) cost more than the query.
struct SessionRecord: Decodable {
    let id: String
    let user_id: UUID?
    let data: [String: String]
    let created_at: Date
    let last_seen_at: Date

    static func find(_ tokenHash: String, on db: any Database) async throws -> SessionRecord? {
        try await (db as! any SQLDatabase).select().columns("id", "user_id", "data", "created_at", "last_seen_at")
            .from(StoredSession.schema).where("id", .equal, tokenHash).first(decoding: SessionRecord.self)
    }

    func delete(on db: any Database) async throws {
        try await (db as! any SQLDatabase).delete(from: StoredSession.schema).where("id", .equal, id).run()
    }

    /// Saves the request's session data and moves the idle deadline to `now`.
    func update(data: [String: String], userID: UUID?, now: Date, on db: any Database) async throws {
        try await (db as! any SQLDatabase).update(StoredSession.schema)
            .set("data", to: data).set("user_id", to: userID).set("last_seen_at", to: now)
            .where("id", .equal, id).run()
    }
}
