import Fluent
import SQLKit

/// The outbox (P8): email and text messages waiting to be sent, sent, or given up on.
/// `recipient` and `data` hold personal data only until the message is sent or fails for good.
struct CreateOutboxMessages: AsyncMigration {
    var name: String { "P025_CreateOutboxMessages" }

    func prepare(on database: any Database) async throws {
        try await database.schema("outbox_messages")
            .id()
            .field("channel", .string, .required)
            .field("kind", .string, .required)
            .field("audience", .string, .required)
            .field("template", .string, .required)
            .field("recipient", .string)
            .field("language", .string, .required)
            .field("data", .string)
            .field("status", .string, .required)
            .field("attempts", .int, .required)
            .field("next_attempt_at", .datetime, .required)
            .field("locked_until", .datetime)
            .field("sent_at", .datetime)
            .field("last_error", .string)
            // No foreign keys: a row outlives the account it was for (as non-PII history).
            .field("household_id", .uuid)
            .field("user_id", .uuid)
            .field("created_at", .datetime, .required)
            .create()
        try await database.createIndex(on: "outbox_messages", named: "outbox_messages_due", columns: ["status", "next_attempt_at"])
        try await database.createIndex(on: "outbox_messages", named: "outbox_messages_household", columns: ["household_id", "created_at"])
        try await database.createIndex(on: "outbox_messages", named: "outbox_messages_user", columns: ["user_id"])
    }

    func revert(on database: any Database) async throws {
        try await database.schema("outbox_messages").delete()
    }
}

/// Residents may turn text messages off in their settings (P8).
struct AddUserTextMessagesChoice: AsyncMigration {
    var name: String { "P026_AddUserTextMessagesChoice" }

    func prepare(on database: any Database) async throws {
        try await database.schema("users").field("sms_opt_out", .bool, .required, .sql(.default(false))).update()
    }

    func revert(on database: any Database) async throws {
        try await database.schema("users").deleteField("sms_opt_out").update()
    }
}

/// What a coordinator's decision records (issue 11), and the index the program lists use.
struct AddEnrollmentDecisions: AsyncMigration {
    var name: String { "P027_AddEnrollmentDecisions" }

    func prepare(on database: any Database) async throws {
        // One column per statement: SQLite adds a single column per ALTER TABLE.
        try await database.schema("enrollments").field("decline_reason", .string).update()
        try await database.schema("enrollments").field("decided_at", .datetime).update()
        try await database.schema("enrollments").field("decided_by", .uuid).update()
        try await database.createIndex(
            on: "enrollments", named: "enrollments_program_list", columns: ["program_id", "status", "applied_at"])
    }

    func revert(on database: any Database) async throws {
        try await (database as! any SQLDatabase).drop(index: "enrollments_program_list").run()
        for field in ["decline_reason", "decided_at", "decided_by"] {
            try await database.schema("enrollments").deleteField(FieldKey(stringLiteral: field)).update()
        }
    }
}

/// The program lists at 100,000 households (issue 11, measured with `scripts/bench`): the CSV
/// export walks one program's enrollments by id, and each listed household's latest verified
/// application is found by (household, status, verified date) without reading the row.
struct AddProgramListIndexes: AsyncMigration {
    var name: String { "P028_AddProgramListIndexes" }

    func prepare(on database: any Database) async throws {
        try await database.createIndex(on: "enrollments", named: "enrollments_program_id", columns: ["program_id", "id"])
        try await database.createIndex(
            on: "applications", named: "applications_household_verified", columns: ["household_id", "status", "verified_at"])
    }

    func revert(on database: any Database) async throws {
        try await (database as! any SQLDatabase).drop(index: "enrollments_program_id").run()
        try await (database as! any SQLDatabase).drop(index: "applications_household_verified").run()
    }
}
