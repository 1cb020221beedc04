import Fluent
import SQLKit
import Testing
import Vapor

@testable import GetYour

@Suite("Two databases, each with its own migrations")
struct DatabaseTests {
    func tables(_ db: any Database) async throws -> Set<String> {
        let sql = db as! any SQLDatabase
        let rows: [any SQLRow]
        if TestApp.engine == "postgres" {
            rows = try await sql.raw("SELECT table_name AS name FROM information_schema.tables WHERE table_schema = current_schema()").all()
        } else {
            rows = try await sql.raw("SELECT name FROM sqlite_master WHERE type = 'table'").all()
        }
        return Set(try rows.map { try $0.decode(column: "name", as: String.self) })
    }

    @Test func eachDatabaseHoldsOnlyItsOwnTables() async throws {
        try await TestApp.run { app in
            let primary = try await tables(app.db(.primary))
            let analytics = try await tables(app.db(.analytics))
            #expect(primary.contains("sessions"))
            #expect(!primary.contains("request_logs"))
            #expect(analytics.contains("request_logs"))
            #expect(!analytics.contains("sessions"))
            #expect(primary.contains("_fluent_migrations") && analytics.contains("_fluent_migrations"))
        }
    }

    @Test func migrationsRevertAndReapplyCleanly() async throws {
        try await TestApp.run { app in
            try await app.revertMigrations(.primary)
            try await app.revertMigrations(.analytics)
            #expect(try await !tables(app.db(.primary)).contains("sessions"))
            #expect(try await !tables(app.db(.analytics)).contains("request_logs"))
            try await app.migrate(.primary)
            try await app.migrate(.analytics)
            #expect(try await tables(app.db(.primary)).contains("sessions"))
            #expect(try await tables(app.db(.analytics)).contains("request_logs"))
        }
    }

    @Test func theMigrateCommandCanTargetOneDatabase() async throws {
        try await TestApp.run { app in
            try await app.revertMigrations(.primary)
            try await app.revertMigrations(.analytics)
            try await runCommand(app, "migrate", "--database", "analytics")
            #expect(try await !tables(app.db(.primary)).contains("sessions"))
            #expect(try await tables(app.db(.analytics)).contains("request_logs"))
            try await runCommand(app, "migrate")
            #expect(try await tables(app.db(.primary)).contains("sessions"))
        }
    }

    /// CI sets GETYOUR_TEST_REQUIRE_POSTGRES so a missing database fails instead of skipping.
    @Test func theSuiteRunsOnTheEngineCIAskedFor() async throws {
        let required = TestApp.environment["GETYOUR_TEST_REQUIRE_POSTGRES"] == "1"
        if required { #expect(TestApp.engine == "postgres", "GETYOUR_TEST_DATABASE_URL is not set") }
        try await TestApp.run { app in
            let sql = app.db(.primary) as! any SQLDatabase
            let version = try await sql.raw(TestApp.engine == "postgres" ? "SELECT version() AS v" : "SELECT sqlite_version() AS v")
                .first()?.decode(column: "v", as: String.self)
            if TestApp.engine == "postgres" { #expect(version?.contains("PostgreSQL") == true) } else { #expect(version?.isEmpty == false) }
        }
    }

    /// CI runs the suite as the base role of `ref/sql/roles.sql`: what the app may not do
    /// must fail there, so a migration or query that needs more fails CI.
    @Test(.enabled(if: TestApp.appRole != nil, "runs on the PostgreSQL pass, as the base role"))
    func theAppRunsAsABaseRoleWithoutDDLAndWithAnAppendOnlyAuditTrail() async throws {
        let required = TestApp.environment["GETYOUR_TEST_REQUIRE_POSTGRES"] == "1"
        if required { #expect(TestApp.migrationURL != nil, "the PostgreSQL pass must run as the base role") }
        try await TestApp.run { app in
            let sql = app.db(.primary) as! any SQLDatabase
            let role = try await sql.raw("SELECT current_user AS name").first()?.decode(column: "name", as: String.self)
            #expect(role == TestApp.appRole)
            // Rows: yes.
            let admin = try await signedInAdmin(app)
            #expect(try await admin.get("/staff").status == .ok)
            let audits = try await sql.raw("SELECT count(*) AS n FROM audit_events").first()?.decode(column: "n", as: Int.self)
            #expect((audits ?? 0) > 0)
            // Schema changes, rewriting the audit trail, recording a migration: no.
            let refused = [
                "CREATE TABLE sneaky (id int)",
                "ALTER TABLE users ADD COLUMN sneaky int",
                "DROP TABLE sessions",
                "TRUNCATE sessions",
                "UPDATE audit_events SET action = 'changed'",
                "DELETE FROM audit_events",
                "INSERT INTO _fluent_migrations (id, name, batch) VALUES ('00000000-0000-0000-0000-000000000001', 'x', 1)",
            ]
            for statement in refused {
                await #expect(throws: (any Error).self, "\(statement) must be refused") {
                    try await sql.raw(SQLQueryString(statement)).run()
                }
            }
            let analytics = app.db(.analytics) as! any SQLDatabase
            await #expect(throws: (any Error).self) { try await analytics.raw("DROP TABLE request_logs").run() }
            #expect(try await sql.raw("SELECT count(*) AS n FROM audit_events").first()?.decode(column: "n", as: Int.self) == audits)
        }
    }
}
