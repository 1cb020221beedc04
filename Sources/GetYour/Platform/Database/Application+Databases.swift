import Fluent
import FluentPostgresDriver
import FluentSQLiteDriver
import Foundation
import SQLKit
import Vapor

extension Application {
    /// Registers both databases; each keeps its own `_fluent_migrations` table.
    func configureDatabases(_ settings: DatabaseSettings) throws {
        let wait = Int64(settings.poolTimeout)
        try register(settings.primary, as: .primary, isDefault: true, pool: settings.maxConnectionsPerEventLoop, wait: wait)
        try register(settings.analytics, as: .analytics, isDefault: false, pool: min(2, settings.maxConnectionsPerEventLoop), wait: wait)
        // Pools connect lazily: these cost nothing unless `migrate` (or a test) uses them.
        if let location = settings.primaryMigration {
            try register(location, as: .primaryMigration, isDefault: false, pool: 1, wait: wait)
        }
        if let location = settings.analyticsMigration {
            try register(location, as: .analyticsMigration, isDefault: false, pool: 1, wait: wait)
        }
    }

    /// Where migrations of `id` run: the privileged role's connection when configured.
    func migrationDatabase(for id: DatabaseID) -> DatabaseID {
        let migrationID: DatabaseID = id == .analytics ? .analyticsMigration : .primaryMigration
        return databases.ids().contains(migrationID) ? migrationID : id
    }

    private func register(_ location: DatabaseLocation, as id: DatabaseID, isDefault: Bool, pool: Int, wait: Int64) throws {
        switch location {
        case .sqliteFile(let path):
            try FileManager.default.createDirectory(
                at: URL(fileURLWithPath: path).deletingLastPathComponent(), withIntermediateDirectories: true)
            databases.use(.sqlite(.file(path), maxConnectionsPerEventLoop: 1, sqlLogLevel: Self.sqlLogLevel), as: id, isDefault: isDefault)
        case .postgres(let url, let searchPath):
            var configuration = try SQLPostgresConfiguration(url: url)
            configuration.searchPath = searchPath
            databases.use(
                .postgres(
                    configuration: configuration,
                    maxConnectionsPerEventLoop: pool,
                    connectionPoolTimeout: .seconds(wait),
                    sqlLogLevel: Self.sqlLogLevel
                ),
                as: id, isDefault: isDefault)
        }
    }

    /// SQL statements carry bound values (emails, names): log them only at `trace`, which no
    /// environment uses, so personal data never reaches the logs (P10).
    static let sqlLogLevel: Logger.Level = .trace

    /// The migrations of one database only, so `getyour migrate --database` can run them alone,
    /// on the privileged role's connection when one is configured.
    func migrator(for id: DatabaseID) -> Migrator {
        let list = Migrations()
        list.add(id == .analytics ? AnalyticsMigrations.all : PrimaryMigrations.all, to: migrationDatabase(for: id))
        return Migrator(databases: databases, migrations: list, logger: logger, on: eventLoopGroup.any())
    }

    /// Brings one database up to date, then grants the app's base role what it may do.
    public func migrate(_ id: DatabaseID) async throws {
        // Readers never wait for a writer in WAL mode; the setting is kept in the file.
        if let sql = db(id) as? any SQLDatabase, sql.dialect.name == "sqlite" {
            try await sql.raw("PRAGMA journal_mode = WAL").run()
        }
        let migrator = migrator(for: id)
        try await migrator.setupIfNeeded().get()
        try await migrator.prepareBatch().get()
        try await grantPrivileges(id)
    }

    /// On PostgreSQL, with `database.app_role` set: the base role may read and write rows of
    /// every table in the schema, may only add to and read `audit_events` (the audit trail is
    /// append-only for the app) and may only read `_fluent_migrations`; the analytics reader
    /// role may read the analytics tables. Idempotent; `ref/sql/roles.sql` sets the same
    /// defaults for tables that later migrations create.
    func grantPrivileges(_ id: DatabaseID) async throws {
        let database = settings.database
        guard let sql = db(migrationDatabase(for: id)) as? any SQLDatabase, sql.dialect.name == "postgresql" else { return }
        let schemaRow = try await sql.raw("SELECT current_schema() AS name").first()
        guard let schema = try schemaRow?.decode(column: "name", as: String?.self) else { return }
        if let role = database.appRole {
            try await sql.raw("GRANT USAGE ON SCHEMA \(ident: schema) TO \(ident: role)").run()
            try await sql.raw("GRANT SELECT, INSERT, UPDATE, DELETE ON ALL TABLES IN SCHEMA \(ident: schema) TO \(ident: role)").run()
            try await sql.raw("GRANT USAGE, SELECT ON ALL SEQUENCES IN SCHEMA \(ident: schema) TO \(ident: role)").run()
            try await sql.raw(
                "REVOKE INSERT, UPDATE, DELETE, TRUNCATE ON \(ident: schema).\(ident: "_fluent_migrations") FROM \(ident: role)"
            ).run()
            if id == .primary {
                try await sql.raw("REVOKE UPDATE, DELETE, TRUNCATE ON \(ident: schema).\(ident: AuditEvent.schema) FROM \(ident: role)")
                    .run()
            }
        }
        if id == .analytics, let reader = database.analyticsReaderRole {
            try await sql.raw("GRANT USAGE ON SCHEMA \(ident: schema) TO \(ident: reader)").run()
            try await sql.raw("GRANT SELECT ON ALL TABLES IN SCHEMA \(ident: schema) TO \(ident: reader)").run()
        }
    }

    /// Migrations of `id` that have not run yet (the readiness check of `/healthz`), read
    /// through the app's own connection.
    func pendingMigrations(_ id: DatabaseID) async throws -> [String] {
        let names = (id == .analytics ? AnalyticsMigrations.all : PrimaryMigrations.all).map(\.name)
        let done = try await MigrationLog.query(on: db(id)).all().map(\.name)
        return names.filter { !Set(done).contains($0) }
    }

    /// Undoes every migration of one database (tests and `migrate --revert`).
    public func revertMigrations(_ id: DatabaseID) async throws {
        let migrator = migrator(for: id)
        try await migrator.setupIfNeeded().get()
        try await migrator.revertAllBatches().get()
    }
}
