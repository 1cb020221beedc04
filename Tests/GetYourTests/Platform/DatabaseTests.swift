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
}
