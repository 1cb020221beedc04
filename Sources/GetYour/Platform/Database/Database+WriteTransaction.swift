import Fluent
import SQLKit

extension Database {
    /// Runs `body` in one transaction that takes the write lock up front.
    ///
    /// On PostgreSQL this is an ordinary transaction. On SQLite Fluent begins a *deferred*
    /// transaction: one that reads first and writes later cannot upgrade its lock while another
    /// connection writes, and fails with "database is locked" at once (no busy wait can help).
    /// `BEGIN IMMEDIATE` queues the transaction behind the current writer instead, so the
    /// embedded default is safe with concurrent residents (issue 8).
    func writeTransaction<T: Sendable>(_ body: @escaping @Sendable (any Database) async throws -> T) async throws -> T {
        guard let sql = self as? any SQLDatabase, sql.dialect.name == "sqlite", !inTransaction else {
            return try await transaction(body)
        }
        return try await withConnection { connection in
            let raw = connection as! any SQLDatabase
            try await raw.raw("BEGIN IMMEDIATE TRANSACTION").run()
            do {
                let result = try await body(connection)
                try await raw.raw("COMMIT TRANSACTION").run()
                return result
            } catch {
                try? await raw.raw("ROLLBACK TRANSACTION").run()
                throw error
            }
        }
    }
}
