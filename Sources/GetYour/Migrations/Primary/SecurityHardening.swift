import Fluent
import SQLKit

/// Email confirmation at sign-up and staff two-factor sign-in (P10). Accounts that existed
/// before count as confirmed: they were created when sign-up signed people in directly.
struct AddUserSecurityFields: AsyncMigration {
    var name: String { "P017_AddUserSecurityFields" }

    func prepare(on database: any Database) async throws {
        try await database.schema("users")
            .field("email_confirmed_at", .datetime)
            .update()
        try await database.schema("users").field("totp_secret", .string).update()
        try await database.schema("users").field("totp_enabled_at", .datetime).update()
        try await database.schema("users").field("totp_last_step", .int64).update()
        try await (database as! any SQLDatabase).raw("UPDATE users SET email_confirmed_at = created_at").run()
    }

    func revert(on database: any Database) async throws {
        for field in ["totp_last_step", "totp_enabled_at", "totp_secret", "email_confirmed_at"] {
            try await database.schema("users").deleteField(.string(field)).update()
        }
    }
}

/// Ten single-use recovery codes per staff member, stored as SHA-256 only.
struct CreateRecoveryCodes: AsyncMigration {
    var name: String { "P018_CreateRecoveryCodes" }

    func prepare(on database: any Database) async throws {
        try await database.schema("recovery_codes")
            .id()
            .field("user_id", .uuid, .required, .references("users", "id", onDelete: .cascade))
            .field("code_hash", .string, .required)
            .field("used_at", .datetime)
            .field("created_at", .datetime, .required)
            .create()
    }

    func revert(on database: any Database) async throws {
        try await database.schema("recovery_codes").delete()
    }
}

/// Who did what to which record (P2, P10): ids only, never names, emails, addresses, file
/// names or free text. Append-only: triggers refuse UPDATE and DELETE on both engines, so
/// not even the app's own database role can rewrite history.
struct CreateAuditEvents: AsyncMigration {
    var name: String { "P019_CreateAuditEvents" }

    func prepare(on database: any Database) async throws {
        try await database.schema("audit_events")
            .field("id", .int64, .identifier(auto: true))
            .field("occurred_at", .datetime, .required)
            .field("actor_id", .string, .required)
            .field("actor_role", .string, .required)
            .field("action", .string, .required)
            .field("household_id", .uuid)
            .field("application_id", .uuid)
            .field("document_id", .uuid)
            .field("subject_user_id", .uuid)
            .field("program_slug", .string)
            .field("request_id", .string, .required)
            .create()
        let sql = database as! any SQLDatabase
        try await sql.raw("CREATE INDEX audit_events_household ON audit_events (household_id, occurred_at)").run()
        try await sql.raw("CREATE INDEX audit_events_time ON audit_events (occurred_at)").run()
        if sql.dialect.name == "sqlite" {
            for operation in ["UPDATE", "DELETE"] {
                try await sql.raw(
                    """
                    CREATE TRIGGER audit_events_no_\(unsafeRaw: operation.lowercased()) BEFORE \(unsafeRaw: operation) ON audit_events
                    BEGIN SELECT RAISE(ABORT, 'audit_events is append-only'); END
                    """
                ).run()
            }
        } else {
            try await sql.raw(
                """
                CREATE FUNCTION audit_events_append_only() RETURNS trigger LANGUAGE plpgsql AS $$
                BEGIN RAISE EXCEPTION 'audit_events is append-only'; END $$
                """
            ).run()
            try await sql.raw(
                """
                CREATE TRIGGER audit_events_append_only BEFORE UPDATE OR DELETE OR TRUNCATE ON audit_events
                FOR EACH STATEMENT EXECUTE FUNCTION audit_events_append_only()
                """
            ).run()
        }
    }

    func revert(on database: any Database) async throws {
        try await database.schema("audit_events").delete()
        if let sql = database as? any SQLDatabase, sql.dialect.name != "sqlite" {
            try await sql.raw("DROP FUNCTION IF EXISTS audit_events_append_only()").run()
        }
    }
}
