import Fluent

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
