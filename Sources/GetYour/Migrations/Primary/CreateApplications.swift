import Fluent
import SQLKit

struct CreateHouseholds: AsyncMigration {
    var name: String { "P008_CreateHouseholds" }

    func prepare(on database: any Database) async throws {
        try await database.schema("households")
            .id()
            .field("user_id", .uuid, .required, .references("users", "id", onDelete: .cascade))
            .field("current_application_id", .uuid)
            .field("created_at", .datetime)
            .unique(on: "user_id", name: "households_user_unique")
            .create()
    }

    func revert(on database: any Database) async throws {
        try await database.schema("households").delete()
    }
}

struct CreateAddresses: AsyncMigration {
    var name: String { "P009_CreateAddresses" }

    func prepare(on database: any Database) async throws {
        try await database.schema("addresses")
            .id()
            .field("street", .string, .required)
            .field("unit", .string, .required)
            .field("city", .string, .required)
            .field("state", .string, .required)
            .field("zip", .string, .required)
            .field("verified", .bool, .required)
            .field("coverage", .array(of: .string), .required)
            .field("coverage_exceptions", .array(of: .string), .required)
            .field("normalised_key", .string, .required)
            .field("created_at", .datetime)
            .unique(on: "normalised_key", name: "addresses_key_unique")
            .create()
    }

    func revert(on database: any Database) async throws {
        try await database.schema("addresses").delete()
    }
}

struct CreateApplications: AsyncMigration {
    var name: String { "P010_CreateApplications" }

    func prepare(on database: any Database) async throws {
        try await database.schema("applications")
            .id()
            .field("household_id", .uuid, .required, .references("households", "id", onDelete: .cascade))
            .field("kind", .string, .required)
            .field("status", .string, .required)
            .field("furthest_step", .string, .required)
            .field("reference", .string)
            .field("eligibility_address_id", .uuid, .references("addresses", "id"))
            .field("mailing_address_id", .uuid, .references("addresses", "id"))
            .field("rent_own", .string)
            .field("duration", .string)
            .field("no_programs", .bool, .required)
            .field("programs_answered", .bool, .required)
            .field("started_at", .datetime)
            .field("submitted_at", .datetime)
            .field("verified_at", .datetime)
            .field("verified_by", .uuid)
            .field("status_message", .string)
            .unique(on: "reference", name: "applications_reference_unique")
            .create()
        // P2: exactly one draft at a time per household, enforced by the database.
        if let sql = database as? any SQLDatabase {
            try await sql.raw("CREATE UNIQUE INDEX applications_one_draft ON applications (household_id) WHERE status = 'draft'").run()
        }
    }

    func revert(on database: any Database) async throws {
        try await database.schema("applications").delete()
    }
}

struct CreateHouseholdMembers: AsyncMigration {
    var name: String { "P011_CreateHouseholdMembers" }

    func prepare(on database: any Database) async throws {
        try await database.schema("household_members")
            .id()
            .field("application_id", .uuid, .required, .references("applications", "id", onDelete: .cascade))
            .field("first_name", .string, .required)
            .field("last_name", .string, .required)
            .field("birthdate", .string, .required)
            .field("is_applicant", .bool, .required)
            .field("created_at", .datetime)
            .create()
    }

    func revert(on database: any Database) async throws {
        try await database.schema("household_members").delete()
    }
}

struct CreateApplicationEligibilityPrograms: AsyncMigration {
    var name: String { "P012_CreateApplicationEligibilityPrograms" }

    func prepare(on database: any Database) async throws {
        try await database.schema("application_eligibility_programs")
            .id()
            .field("application_id", .uuid, .required, .references("applications", "id", onDelete: .cascade))
            .field("program_id", .uuid, .required, .references("eligibility_programs", "id"))
            .unique(on: "application_id", "program_id", name: "application_programs_unique")
            .create()
    }

    func revert(on database: any Database) async throws {
        try await database.schema("application_eligibility_programs").delete()
    }
}

struct CreateDocuments: AsyncMigration {
    var name: String { "P013_CreateDocuments" }

    func prepare(on database: any Database) async throws {
        try await database.schema("documents")
            .id()
            .field("application_id", .uuid, .required, .references("applications", "id", onDelete: .cascade))
            .field("purpose", .string, .required)
            .field("member_id", .uuid, .references("household_members", "id", onDelete: .setNull))
            .field("program_id", .uuid, .references("eligibility_programs", "id"))
            .field("storage_key", .string, .required)
            .field("mime_type", .string, .required)
            .field("byte_size", .int64, .required)
            .field("sha256", .string, .required)
            .field("original_name", .string, .required)
            .field("uploaded_at", .datetime, .required)
            .field("review_state", .string, .required)
            .field("review_reason", .string)
            .unique(on: "storage_key", name: "documents_storage_key_unique")
            .create()
    }

    func revert(on database: any Database) async throws {
        try await database.schema("documents").delete()
    }
}
