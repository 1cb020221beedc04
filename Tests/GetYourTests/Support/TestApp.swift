import Fluent
import Foundation
import SQLKit
import Testing
import Vapor
import VaporTesting

@testable import GetYour

/// Boots the real `configure` for one test (style 16) on a fresh database: SQLite files in
/// a temporary folder by default, or a throw-away schema in the PostgreSQL database named by
/// `GETYOUR_TEST_DATABASE_URL` (and `GETYOUR_TEST_ANALYTICS_DATABASE_URL`).
enum TestApp {
    static let root = URL(fileURLWithPath: #filePath)
        .deletingLastPathComponent().deletingLastPathComponent()
        .deletingLastPathComponent().deletingLastPathComponent()

    static let environment = ProcessInfo.processInfo.environment
    static var postgresURL: String? { environment["GETYOUR_TEST_DATABASE_URL"].flatMap { $0.isEmpty ? nil : $0 } }
    static var postgresAnalyticsURL: String? {
        environment["GETYOUR_TEST_ANALYTICS_DATABASE_URL"].flatMap { $0.isEmpty ? nil : $0 } ?? postgresURL
    }
    static var engine: String { postgresURL == nil ? "sqlite" : "postgres" }
    /// The privileged role's URLs (`scripts/pg.sh` sets them): migrations, and each test's
    /// schemas, are made with them while the test itself runs as the base role.
    static var migrationURL: String? { environment["GETYOUR_TEST_MIGRATION_DATABASE_URL"].flatMap { $0.isEmpty ? nil : $0 } }
    static var analyticsMigrationURL: String? {
        environment["GETYOUR_TEST_ANALYTICS_MIGRATION_DATABASE_URL"].flatMap { $0.isEmpty ? nil : $0 } ?? migrationURL
    }
    static var appRole: String? { environment["GETYOUR_TEST_APP_ROLE"].flatMap { $0.isEmpty ? nil : $0 } }

    /// What every environment but `local` needs for its outside services: SendGrid and Twilio
    /// credentials (nothing is sent to them: tests choose the file backends or a stub) and the
    /// city's contact details.
    static let serviceSettings = [
        "GETYOUR_NOTIFICATIONS_SENDGRID_API_KEY": "SG.test-key",
        "GETYOUR_NOTIFICATIONS_FROM_EMAIL": "getyour@city.example",
        "GETYOUR_NOTIFICATIONS_TWILIO_ACCOUNT_SID": "ACtest",
        "GETYOUR_NOTIFICATIONS_TWILIO_AUTH_TOKEN": "test-token",
        "GETYOUR_NOTIFICATIONS_TWILIO_FROM": "+19705550100",
        "GETYOUR_CONTACT_EMAIL": "getyour@city.example",
        "GETYOUR_CONTACT_PHONE": "970-555-0100",
    ]

    /// Settings for a test: the named environment's real file, fast bcrypt, a private data
    /// folder, plus `variables` as if set in the environment.
    static func settings(_ environment: String = "local", variables: [String: String] = [:]) throws -> Settings {
        var all: [String: String] = [
            "GETYOUR_ENV": environment,
            "GETYOUR_SECURITY_BCRYPT_COST": "4",
            "GETYOUR_ANALYTICS_FLUSH_INTERVAL_MS": "60000",
            // Tests run in parallel, each with its own pools: keep them small.
            "GETYOUR_DATABASE_MAX_CONNECTIONS_PER_EVENT_LOOP": "1",
            // The whole suite runs in parallel against one PostgreSQL: waiting is not failing.
            "GETYOUR_DATABASE_POOL_TIMEOUT_SECONDS": "60",
        ]
        if environment != "local" {
            // Values that pass the stage/production guard rails; the databases are replaced below.
            all["GETYOUR_SECURITY_SECRET_KEY"] = "test-secret-key-0123456789-abcdefghijklmnop"
            all["GETYOUR_SECURITY_BCRYPT_COST"] = environment == "dev" ? "4" : "12"
            all["GETYOUR_DATABASE_PRIMARY_URL"] = "postgres://unused:unused@127.0.0.1:1/unused?sslmode=require"
            all["GETYOUR_DATABASE_ANALYTICS_URL"] = "postgres://unused:unused@127.0.0.1:1/unused?sslmode=require"
            all.merge(serviceSettings) { _, new in new }
        }
        all.merge(variables) { _, new in new }
        return try Settings.load(root: root, environmentVariables: all)
    }

    /// Runs `body` against a fully configured and migrated app, then tears everything down.
    static func run<T>(
        _ settings: Settings? = nil,
        adjust: (inout Settings) -> Void = { _ in },
        _ body: (Application) async throws -> T
    ) async throws -> T {
        var settings = try settings ?? self.settings()
        let scratch = FileManager.default.temporaryDirectory.appendingPathComponent("getyour-test-\(UUID().uuidString)")
        settings.paths.dataDirectory = scratch
        let schema = "t_" + String(UUID().uuidString.replacingOccurrences(of: "-", with: "").lowercased().prefix(16))
        if let url = postgresURL, let analyticsURL = postgresAnalyticsURL {
            settings.database.primary = .postgres(url: url, searchPath: [schema + "_p"])
            settings.database.analytics = .postgres(url: analyticsURL, searchPath: [schema + "_a"])
            if let migrationURL, let analyticsMigrationURL {
                settings.database.primaryMigration = .postgres(url: migrationURL, searchPath: [schema + "_p"])
                settings.database.analyticsMigration = .postgres(url: analyticsMigrationURL, searchPath: [schema + "_a"])
                settings.database.appRole = appRole
            }
        } else {
            settings.database.primary = .sqliteFile(scratch.appendingPathComponent("primary.sqlite").path)
            settings.database.analytics = .sqliteFile(scratch.appendingPathComponent("analytics.sqlite").path)
        }
        // Stage and production refuse bcrypt below 12 at load time; tests then hash fast.
        settings.security.bcryptCost = 4
        adjust(&settings)

        let app = try await Application.make(.testing)
        do {
            try await configure(app, settings: settings)
            app.registerCommands()
            try await createSchemas(app, schema: schema, settings: settings)
            try await app.migrate(.primary)
            // Tests that point analytics at nothing start without it; under load a slow answer
            // is not "down", so only a failing migration that also gets no answer is skipped.
            do { try await app.migrate(.analytics) } catch { if await HealthController.answers(app.db(.analytics)) { throw error } }
            try await app.seedReferenceData()
            let result = try await body(app)
            try await dropSchemas(app, schema: schema, settings: settings)
            try await app.asyncShutdown()
            try? FileManager.default.removeItem(at: scratch)
            return result
        } catch {
            if TestApp.engine == "postgres" { print("TestApp failure: \(String(reflecting: error))") }
            try? await dropSchemas(app, schema: schema, settings: settings)
            try? await app.asyncShutdown()
            try? FileManager.default.removeItem(at: scratch)
            throw error
        }
    }

    /// Each test's throw-away PostgreSQL schemas (`<schema>_p`, `<schema>_a`).
    private static func testSchemas(_ settings: Settings, _ schema: String) -> [(DatabaseID, String)] {
        [(DatabaseID.primary, settings.database.primary), (.analytics, settings.database.analytics)]
            .compactMap { id, location in
                guard case .postgres(_, let path?) = location, let name = path.first, name.hasPrefix(schema) else { return nil }
                return (id, name)
            }
    }

    private static func createSchemas(_ app: Application, schema: String, settings: Settings) async throws {
        for (id, name) in testSchemas(settings, schema) {
            try await (app.db(app.migrationDatabase(for: id)) as! any SQLDatabase).raw("CREATE SCHEMA IF NOT EXISTS \(ident: name)").run()
        }
    }

    private static func dropSchemas(_ app: Application, schema: String, settings: Settings) async throws {
        for (id, name) in testSchemas(settings, schema) {
            try await (app.db(app.migrationDatabase(for: id)) as! any SQLDatabase).raw("DROP SCHEMA IF EXISTS \(ident: name) CASCADE").run()
        }
    }
}
