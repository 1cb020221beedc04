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

    /// The migrations of one database only, so `getyour migrate --database` can run them alone.
    func migrator(for id: DatabaseID) -> Migrator {
        let list = Migrations()
        list.add(id == .analytics ? AnalyticsMigrations.all : PrimaryMigrations.all, to: id)
        return Migrator(databases: databases, migrations: list, logger: logger, on: eventLoopGroup.any())
    }

    /// Brings one database up to date.
    public func migrate(_ id: DatabaseID) async throws {
        // Readers never wait for a writer in WAL mode; the setting is kept in the file.
        if let sql = db(id) as? any SQLDatabase, sql.dialect.name == "sqlite" {
            try await sql.raw("PRAGMA journal_mode = WAL").run()
        }
        let migrator = migrator(for: id)
        try await migrator.setupIfNeeded().get()
        try await migrator.prepareBatch().get()
    }

    /// Undoes every migration of one database (tests and `migrate --revert`).
    public func revertMigrations(_ id: DatabaseID) async throws {
        let migrator = migrator(for: id)
        try await migrator.setupIfNeeded().get()
        try await migrator.revertAllBatches().get()
    }
}
