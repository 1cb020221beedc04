import Fluent
import SQLKit

/// The analytics database's migrations, in order. One change per struct (style 15).
enum AnalyticsMigrations {
    static let all: [any Migration] = [
        CreateRequestLogs(),
        CreateEvents(),
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

/// P9: product events keyed by a household pseudonym, and the aggregates `/staff/analytics`
/// reads (kept up to date as events are written, so the page never scans events).
struct CreateEvents: AsyncMigration {
    var name: String { "A002_CreateEvents" }

    func prepare(on database: any Database) async throws {
        try await database.schema("events")
            .field("id", .int64, .identifier(auto: true))
            .field("occurred_at", .datetime, .required)
            .field("day", .string, .required)
            .field("kind", .string, .required)
            .field("household", .string, .required)
            .field("detail", .string)
            .field("days", .int)
            .create()
        try await database.schema("daily_counts")
            .field("day", .string, .required)
            .field("kind", .string, .required)
            .field("n", .int64, .required)
            .unique(on: "day", "kind", name: "daily_counts_day_kind")
            .create()
        try await database.schema("funnel_progress")
            .field("household", .string, .required)
            .field("stage", .string, .required)
            .unique(on: "household", "stage", name: "funnel_progress_household_stage")
            .create()
        try await database.schema("funnel_counts")
            .field("stage", .string, .required)
            .field("households", .int64, .required)
            .unique(on: "stage", name: "funnel_counts_stage")
            .create()
        try await database.schema("verification_days")
            .field("week", .string, .required)
            .field("days", .int, .required)
            .field("n", .int64, .required)
            .unique(on: "week", "days", name: "verification_days_week_days")
            .create()
        if let sql = database as? any SQLDatabase {
            try await sql.raw("CREATE INDEX events_kind_occurred ON events (kind, occurred_at)").run()
        }
    }

    func revert(on database: any Database) async throws {
        for table in ["verification_days", "funnel_counts", "funnel_progress", "daily_counts", "events"] {
            try await database.schema(table).delete()
        }
    }
}
