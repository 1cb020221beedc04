import Fluent

struct CreateEnrollments: AsyncMigration {
    var name: String { "P014_CreateEnrollments" }

    func prepare(on database: any Database) async throws {
        try await database.schema("enrollments")
            .id()
            .field("household_id", .uuid, .required, .references("households", "id", onDelete: .cascade))
            .field("program_id", .uuid, .required, .references("benefit_programs", "id"))
            .field("status", .string, .required)
            .field("application_id", .uuid, .references("applications", "id", onDelete: .setNull))
            .field("applied_at", .datetime, .required)
            .field("enrolled_at", .datetime)
            .field("expires_at", .datetime)
            .field("enrolled_by", .uuid)
            .unique(on: "household_id", "program_id", name: "enrollments_household_program_unique")
            .create()
    }

    func revert(on database: any Database) async throws {
        try await database.schema("enrollments").delete()
    }
}

struct CreateFeedback: AsyncMigration {
    var name: String { "P015_CreateFeedback" }

    func prepare(on database: any Database) async throws {
        try await database.schema("feedback")
            .id()
            .field("rating", .int)
            .field("comment", .string)
            .field("created_at", .datetime)
            .create()
    }

    func revert(on database: any Database) async throws {
        try await database.schema("feedback").delete()
    }
}

/// Whether the resident has seen the dashboard's first-visit explanation.
struct AddHouseholdDashboardSeen: AsyncMigration {
    var name: String { "P016_AddHouseholdDashboardSeen" }

    func prepare(on database: any Database) async throws {
        try await database.schema("households").field("dashboard_seen_at", .datetime).update()
    }

    func revert(on database: any Database) async throws {
        try await database.schema("households").deleteField("dashboard_seen_at").update()
    }
}
