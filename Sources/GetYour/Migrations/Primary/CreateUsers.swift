import Fluent

/// P2 users: residents and staff, one table; email unique as stored (stored lower-cased).
struct CreateUsers: AsyncMigration {
    var name: String { "P002_CreateUsers" }

    func prepare(on database: any Database) async throws {
        try await database.schema("users")
            .id()
            .field("email", .string, .required)
            .field("password_hash", .string, .required)
            .field("first_name", .string, .required)
            .field("last_name", .string, .required)
            .field("phone", .string, .required)
            .field("language", .string, .required)
            .field("role", .string, .required)
            .field("archived", .bool, .required)
            .field("pending_email", .string)
            .field("created_at", .datetime)
            .field("updated_at", .datetime)
            .unique(on: "email", name: "users_email_unique")
            .create()
    }

    func revert(on database: any Database) async throws {
        try await database.schema("users").delete()
    }
}

/// Single-use links sent by email: password reset, staff first password, email change.
/// Only a SHA-256 of the token is stored.
struct CreateAccountTokens: AsyncMigration {
    var name: String { "P003_CreateAccountTokens" }

    func prepare(on database: any Database) async throws {
        try await database.schema("account_tokens")
            .id()
            .field("user_id", .uuid, .required, .references("users", "id", onDelete: .cascade))
            .field("purpose", .string, .required)
            .field("token_hash", .string, .required)
            .field("new_email", .string)
            .field("expires_at", .datetime, .required)
            .field("used_at", .datetime)
            .field("created_at", .datetime, .required)
            .unique(on: "token_hash", name: "account_tokens_hash_unique")
            .create()
    }

    func revert(on database: any Database) async throws {
        try await database.schema("account_tokens").delete()
    }
}

/// Attempts counted for rate limits and sign-in throttling, shared by every app server.
/// Keys are HMACs of the email or client address, never the values themselves.
struct CreateThrottleEvents: AsyncMigration {
    var name: String { "P004_CreateThrottleEvents" }

    func prepare(on database: any Database) async throws {
        try await database.schema("throttle_events")
            .field("id", .int64, .identifier(auto: true))
            .field("bucket", .string, .required)
            .field("key_hash", .string, .required)
            .field("occurred_at", .datetime, .required)
            .create()
        try await database.createIndex(
            on: "throttle_events", named: "throttle_events_lookup", columns: ["bucket", "key_hash", "occurred_at"])
    }

    func revert(on database: any Database) async throws {
        try await database.schema("throttle_events").delete()
    }
}

/// Which benefit programs a coordinator works on (P1), by program slug.
struct CreateStaffProgramScopes: AsyncMigration {
    var name: String { "P005_CreateStaffProgramScopes" }

    func prepare(on database: any Database) async throws {
        try await database.schema("staff_program_scopes")
            .id()
            .field("user_id", .uuid, .required, .references("users", "id", onDelete: .cascade))
            .field("program_slug", .string, .required)
            .unique(on: "user_id", "program_slug", name: "staff_program_scopes_unique")
            .create()
    }

    func revert(on database: any Database) async throws {
        try await database.schema("staff_program_scopes").delete()
    }
}
