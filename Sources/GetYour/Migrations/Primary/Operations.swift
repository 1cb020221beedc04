import Fluent
import SQLKit

/// One row per background job (`getyour jobs`): how often it ran and failed and when it last
/// succeeded, for `/metrics` and for an operator asking "is the worker alive?" (issue 13).
/// Shared by every worker, so it is true with several servers.
struct CreateJobRuns: AsyncMigration {
    var name: String { "P030_CreateJobRuns" }

    func prepare(on database: any Database) async throws {
        try await database.schema("job_runs")
            .field("job", .string, .identifier(auto: false))
            .field("runs", .int64, .required)
            .field("failures", .int64, .required)
            .field("last_started_at", .datetime, .required)
            .field("last_finished_at", .datetime)
            .field("last_success_at", .datetime)
            .create()
    }

    func revert(on database: any Database) async throws {
        try await database.schema("job_runs").delete()
    }
}

/// Documents removed from the store under the retention policy keep their row, without the
/// file name, with the day they were purged (P10, issue 14).
struct AddDocumentPurge: AsyncMigration {
    var name: String { "P031_AddDocumentPurge" }

    func prepare(on database: any Database) async throws {
        try await database.schema("documents").field("purged_at", .datetime).update()
    }

    func revert(on database: any Database) async throws {
        try await database.schema("documents").deleteField("purged_at").update()
    }
}

/// A household's named contact (P14, issue 15): one per household, removed with it.
struct CreateHouseholdContacts: AsyncMigration {
    var name: String { "P032_CreateHouseholdContacts" }

    func prepare(on database: any Database) async throws {
        try await database.schema("household_contacts")
            .id()
            .field("household_id", .uuid, .required, .references("households", "id", onDelete: .cascade))
            .field("name", .string, .required)
            .field("email", .string, .required)
            .field("phone", .string, .required)
            .field("relationship", .string, .required)
            .field("receives", .string, .required)
            .field("updated_at", .datetime, .required)
            .unique(on: "household_id")
            .create()
    }

    func revert(on database: any Database) async throws {
        try await database.schema("household_contacts").delete()
    }
}

/// The retention job's second question, "which applications did a verified renewal replace",
/// answered from an index instead of a scan of every application (issue 16).
struct AddRenewalOfIndex: AsyncMigration {
    var name: String { "P035_AddRenewalOfIndex" }

    func prepare(on database: any Database) async throws {
        try await database.createIndex(on: "applications", named: "applications_renews", columns: ["renews_id", "status"])
    }

    func revert(on database: any Database) async throws {
        guard let sql = database as? any SQLDatabase else { return }
        try await sql.drop(index: "applications_renews").run()
    }
}
