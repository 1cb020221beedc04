import Fluent
import SQLKit

/// The lifecycle after submission (issue 9): a revision for stale-decision checks, the items
/// staff asked for, who decided and when; the household's last change for the queue marker.
struct AddApplicationReviewFields: AsyncMigration {
    var name: String { "P020_AddApplicationReviewFields" }

    func prepare(on database: any Database) async throws {
        let sql = database as! any SQLDatabase
        // An empty list is stored as JSON text on SQLite and as an array on PostgreSQL.
        let emptyList = sql.dialect.name == "sqlite" ? "[]" : "{}"
        try await database.schema("applications").field("revision", .int, .required, .sql(.default(0))).update()
        try await database.schema("applications").field("requested_items", .array(of: .string), .required, .sql(.default(emptyList)))
            .update()
        try await database.schema("applications").field("answered_at", .datetime).update()
        try await database.schema("applications").field("decided_at", .datetime).update()
        try await database.schema("applications").field("decided_by", .uuid).update()
        try await database.schema("households").field("changed_at", .datetime).update()
        try await database.schema("documents").field("review_detail", .string).update()
        // The queue: waiting applications, oldest submitted first, by status.
        try await sql.raw("CREATE INDEX applications_queue ON applications (status, submitted_at)").run()
        try await sql.raw("CREATE INDEX applications_household ON applications (household_id)").run()
        try await sql.raw("CREATE INDEX documents_application ON documents (application_id)").run()
        try await sql.raw("CREATE INDEX household_members_application ON household_members (application_id)").run()
    }

    func revert(on database: any Database) async throws {
        let sql = database as! any SQLDatabase
        for index in ["applications_queue", "applications_household", "documents_application", "household_members_application"] {
            try await sql.raw("DROP INDEX IF EXISTS \(ident: index)").run()
        }
        for field in ["decided_by", "decided_at", "answered_at", "requested_items", "revision"] {
            try await database.schema("applications").deleteField(.string(field)).update()
        }
        try await database.schema("households").deleteField("changed_at").update()
        try await database.schema("documents").deleteField("review_detail").update()
    }
}

/// The conversation between staff and the resident about one application (requests for
/// information, answers, the reason for a denial). Shown to both sides.
struct CreateApplicationMessages: AsyncMigration {
    var name: String { "P021_CreateApplicationMessages" }

    func prepare(on database: any Database) async throws {
        try await database.schema("application_messages")
            .id()
            .field("application_id", .uuid, .required, .references("applications", "id", onDelete: .cascade))
            .field("author_role", .string, .required)
            .field("author_id", .uuid)
            .field("kind", .string, .required)
            .field("body", .string, .required)
            .field("created_at", .datetime, .required)
            .create()
        try await (database as! any SQLDatabase).raw(
            "CREATE INDEX application_messages_application ON application_messages (application_id, created_at)"
        )
        .run()
    }

    func revert(on database: any Database) async throws {
        try await database.schema("application_messages").delete()
    }
}

/// Internal notes staff keep about a household; never shown to the resident.
struct CreateStaffNotes: AsyncMigration {
    var name: String { "P022_CreateStaffNotes" }

    func prepare(on database: any Database) async throws {
        try await database.schema("staff_notes")
            .id()
            .field("household_id", .uuid, .required, .references("households", "id", onDelete: .cascade))
            .field("author_id", .uuid, .required)
            .field("body", .string, .required)
            .field("created_at", .datetime, .required)
            .create()
        try await (database as! any SQLDatabase).raw("CREATE INDEX staff_notes_household ON staff_notes (household_id, created_at)").run()
    }

    func revert(on database: any Database) async throws {
        try await database.schema("staff_notes").delete()
    }
}

/// When each staff member last opened each household, for "changed since your last visit".
struct CreateStaffVisits: AsyncMigration {
    var name: String { "P023_CreateStaffVisits" }

    func prepare(on database: any Database) async throws {
        try await database.schema("staff_visits")
            .field("staff_id", .uuid, .required, .references("users", "id", onDelete: .cascade))
            .field("household_id", .uuid, .required, .references("households", "id", onDelete: .cascade))
            .field("seen_at", .datetime, .required)
            .compositeIdentifier(over: "staff_id", "household_id")
            .create()
    }

    func revert(on database: any Database) async throws {
        try await database.schema("staff_visits").delete()
    }
}

/// Keeps the queue fast at 100,000 households (issue 9): counts per status read an index
/// only, "address not verified" starts from the few unverified addresses, and the name or
/// email search matches prefixes through expression indexes (PostgreSQL; SQLite scans).
struct AddQueueIndexes: AsyncMigration {
    var name: String { "P024_AddQueueIndexes" }

    func prepare(on database: any Database) async throws {
        let sql = database as! any SQLDatabase
        try await sql.raw("CREATE INDEX applications_status_kind ON applications (status, kind)").run()
        try await sql.raw("CREATE INDEX applications_eligibility_address ON applications (eligibility_address_id)").run()
        guard sql.dialect.name != "sqlite" else { return }
        for (name, expression) in [
            ("users_email_prefix", "LOWER(email)"), ("users_first_name_prefix", "LOWER(first_name)"),
            ("users_last_name_prefix", "LOWER(last_name)"), ("users_full_name_prefix", "LOWER(first_name || ' ' || last_name)"),
        ] {
            try await sql.raw("CREATE INDEX \(ident: name) ON users ((\(unsafeRaw: expression)) text_pattern_ops)").run()
        }
    }

    func revert(on database: any Database) async throws {
        let sql = database as! any SQLDatabase
        for index in [
            "applications_status_kind", "applications_eligibility_address", "users_email_prefix", "users_first_name_prefix",
            "users_last_name_prefix", "users_full_name_prefix",
        ] {
            try await sql.raw("DROP INDEX IF EXISTS \(ident: index)").run()
        }
    }
}
