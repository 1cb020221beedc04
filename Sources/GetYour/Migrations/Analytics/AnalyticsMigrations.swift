import Fluent

/// The analytics database's migrations, in order. One change per struct (style 15).
enum AnalyticsMigrations {
    static let all: [any Migration] = [
        CreateRequestLogs()
    ]
}

/// P9: one row per request, keyed by nothing that identifies a person.
struct CreateRequestLogs: AsyncMigration {
    var name: String { "A001_CreateRequestLogs" }

    func prepare(on database: any Database) async throws {
        try await database.schema("request_logs")
            .field("id", .int64, .identifier(auto: true))
            .field("request_id", .string, .required)
            .field("method", .string, .required)
            .field("route", .string, .required)
            .field("status", .int, .required)
            .field("duration_us", .int64, .required)
            .field("role", .string, .required)
            .field("occurred_at", .datetime, .required)
            .create()
    }

    func revert(on database: any Database) async throws {
        try await database.schema("request_logs").delete()
    }
}
