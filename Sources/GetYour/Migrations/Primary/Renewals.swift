import Fluent
import SQLKit

/// Renewal (issue 12): what a renewal application renews and what the resident said changed;
/// which earlier member row each copied member came from (so documents staff accepted for
/// that person still count, without copying files); why an enrollment ended; and the
/// reminders sent, one row per household, enrollment period and reminder, so each is sent
/// once however many workers run.
struct AddRenewals: AsyncMigration {
    var name: String { "P029_AddRenewals" }

    func prepare(on database: any Database) async throws {
        // One column per statement: SQLite adds a single column per ALTER TABLE.
        try await database.schema("applications").field("renews_id", .uuid).update()
        try await database.schema("applications").field("changed_sections", .array(of: .string)).update()
        try await database.schema("household_members").field("carried_from_id", .uuid).update()
        try await database.schema("enrollments").field("end_reason", .string).update()
        try await database.schema("enrollments").field("ended_at", .datetime).update()
        try await database.schema("renewal_reminders")
            .id()
            .field("household_id", .uuid, .required, .references("households", "id", onDelete: .cascade))
            .field("first_expiry", .datetime, .required)
            .field("days_before", .int, .required)
            .field("sent_at", .datetime, .required)
            .unique(on: "household_id", "first_expiry", "days_before", name: "renewal_reminders_once")
            .create()
        try await database.createIndex(on: "enrollments", named: "enrollments_expiry", columns: ["status", "expires_at"])
    }

    func revert(on database: any Database) async throws {
        try await (database as! any SQLDatabase).drop(index: "enrollments_expiry").run()
        try await database.schema("renewal_reminders").delete()
        for (table, field) in [
            ("enrollments", "ended_at"), ("enrollments", "end_reason"), ("household_members", "carried_from_id"),
            ("applications", "changed_sections"), ("applications", "renews_id"),
        ] {
            try await database.schema(table).deleteField(FieldKey(stringLiteral: field)).update()
        }
    }
}
