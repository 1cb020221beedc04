import Fluent

/// Sessions live in the primary database so any app server can serve any request (P12).
struct CreateSessions: AsyncMigration {
    var name: String { "P001_CreateSessions" }

    func prepare(on database: any Database) async throws {
        try await database.schema("sessions")
            .field("id", .string, .identifier(auto: false))
            .field("user_id", .uuid)
            .field("data", .dictionary(of: .string), .required)
            .field("created_at", .datetime, .required)
            .field("last_seen_at", .datetime, .required)
            .create()
        try await database.createIndex(on: "sessions", named: "sessions_user_id", columns: ["user_id"])
    }

    func revert(on database: any Database) async throws {
        try await database.schema("sessions").delete()
    }
}
